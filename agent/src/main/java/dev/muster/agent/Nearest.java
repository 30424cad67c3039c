package dev.muster.agent;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** The names nearest to a misspelt one, for "did you mean" advice. */
final class Nearest {
  private Nearest() {}

  /** Up to three of {@code names} within {@code maxEdits} edits of {@code wrong}, nearest first. */
  static List<String> among(Collection<String> names, String wrong, int maxEdits) {
    return names.stream()
        .filter(name -> distance(name, wrong) <= maxEdits)
        .sorted(
            Comparator.comparingInt((String name) -> distance(name, wrong)).thenComparing(n -> n))
        .limit(3)
        .toList();
  }

  /** Levenshtein distance: the edits from {@code a} to {@code b}. */
  static int distance(String a, String b) {
    int[] row = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      row[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      int diagonal = row[0];
      row[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int above = row[j];
        row[j] =
            Math.min(
                Math.min(row[j] + 1, row[j - 1] + 1),
                diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
        diagonal = above;
      }
    }
    return row[b.length()];
  }
}
