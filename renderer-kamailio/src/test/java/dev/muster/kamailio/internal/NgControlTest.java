package dev.muster.kamailio.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bencode of rtpengine's answers, and what a broken answer does: an error, never a hang. */
class NgControlTest {
  @Test
  void decodesTheAnswersAMediaDrainReads() throws IOException {
    assertEquals(
        Map.of("calls", List.of("a", "bc"), "result", "ok"),
        new NgControl.Decoder("d5:callsl1:a2:bce6:result2:oke").next());
    assertEquals(
        Map.of("result", "ok", "n", 42L), new NgControl.Decoder("d6:result2:ok1:ni42ee").next());
  }

  @Test
  void aBrokenAnswerIsAnError() {
    for (String broken : List.of("", "d", "l1:a", "5:ab", "i12", "x", "d3:key", "99999999999:a")) {
      assertThrows(IOException.class, () -> new NgControl.Decoder(broken).next(), broken);
    }
  }
}
