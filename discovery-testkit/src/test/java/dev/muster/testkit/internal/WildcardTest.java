package dev.muster.testkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WildcardTest {

  @ParameterizedTest(name = "{0} ~ {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "prod-*   | prod-eu     | true",
        "prod-*   | prod-       | true",
        "prod-*   | staging     | false",
        "*        | ''          | true",
        "?        | ''          | false",
        "?        | a           | true",
        "a?c      | abc         | true",
        "a?c      | abbc        | false",
        "*-web-*  | eu-web-1    | true",
        "*-web-*  | eu-api-1    | false",
        "a*b*c    | axxbyyc     | true",
        "a*b*c    | axxbyy      | false",
        "Web      | web         | false",
        "a\\*     | a*          | true",
        "a\\*     | ab          | false",
        "a\\?     | a?          | true",
        "**       | anything    | true",
      })
  void matchesLikeEc2(String pattern, String value, boolean expected) {
    assertEquals(expected, Wildcard.matches(pattern.strip(), value.strip()));
  }
}
