package dev.muster.haproxy;

import java.util.List;

/**
 * Tag values a hostile tagger might try, all of which a Member can carry (printable, no line
 * breaks, at most 256 characters). Line-breaking values never get this far: discovery-core refuses
 * them (see Ec2MembershipSourceTest). The empty value has its own test: HAProxy cannot write it as
 * a word, so the escaper refuses it.
 */
final class HostileCorpus {
  static final List<String> VALUES =
      List.of(
          "plain",
          "two words",
          "semi;colon",
          "{brace}",
          "}close",
          "#comment",
          "a # b",
          "$HOME",
          "${HOME}",
          "\"double\"",
          "'single'",
          "it's",
          "back\\slash",
          "\\",
          "trailing\\",
          "server evil 6.6.6.6:80",
          "backend evil",
          "frontend x bind :80",
          "use_backend evil if TRUE",
          "caf\u00e9 \u65e5\u672c \uD83D\uDE00",
          "'; reload; '",
          "x".repeat(256));

  private HostileCorpus() {}
}
