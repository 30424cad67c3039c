package dev.muster.kamailio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.muster.kamailio.internal.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void readsKamailioAnswers() {
    Object parsed =
        Json.parse(
            "{\n\t\"jsonrpc\":\t\"2.0\",\n\t\"result\":\t{\"NRSETS\": 1, "
                + "\"RECORDS\": [{\"SET\": {\"ID\": 1, \"TARGETS\": [{\"DEST\": {\"URI\": "
                + "\"sip:127.0.0.1:5080\", \"SOCKET\": null, \"W\": 1.5, \"OK\": true}}]}}]},\n"
                + "\t\"id\":\t1\n}");

    Map<?, ?> result = (Map<?, ?>) ((Map<?, ?>) parsed).get("result");
    Map<?, ?> set = (Map<?, ?>) ((Map<?, ?>) ((List<?>) result.get("RECORDS")).get(0)).get("SET");
    assertEquals(1L, set.get("ID"));
    Map<?, ?> dest = (Map<?, ?>) ((Map<?, ?>) ((List<?>) set.get("TARGETS")).get(0)).get("DEST");
    assertEquals("sip:127.0.0.1:5080", dest.get("URI"));
    assertEquals(1.5, dest.get("W"));
    assertEquals(true, dest.get("OK"));
  }

  @Test
  void decodesEscapes() {
    assertEquals("a\"b\\c\n\u00e9", Json.parse("\"a\\\"b\\\\c\\n\\u00e9\""));
  }

  @Test
  void refusesMalformedText() {
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": }"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{} x"));
  }
}
