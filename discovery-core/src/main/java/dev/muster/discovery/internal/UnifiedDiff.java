package dev.muster.discovery.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Line diff in unified format ({@code diff -u}), by Myers' O(ND) algorithm. Keeps only the live
 * slice of each step's furthest-reaching array, so memory is O(D squared); beyond {@value
 * #MAX_EDITS} edits it reports the whole file as replaced instead.
 */
public final class UnifiedDiff {
  static final int MAX_EDITS = 4000;
  private static final int CONTEXT = 3;

  private enum Op {
    KEEP,
    DELETE,
    INSERT
  }

  private record Edit(Op op, int oldLine, int newLine) {}

  private UnifiedDiff() {}

  /** The diff from {@code before} to {@code after}; empty when they are equal. */
  public static String of(String oldName, String before, String newName, String after) {
    if (before.equals(after)) {
      return "";
    }
    List<String> a = lines(before);
    List<String> b = lines(after);
    List<Edit> edits = edits(a, b);
    StringBuilder out = new StringBuilder();
    out.append("--- ").append(oldName).append('\n').append("+++ ").append(newName).append('\n');
    int i = 0;
    while (i < edits.size()) {
      if (edits.get(i).op() == Op.KEEP) {
        i++;
        continue;
      }
      int start = Math.max(0, i - CONTEXT);
      int end = i;
      int lastChange = i;
      while (end < edits.size() && end - lastChange <= 2 * CONTEXT) {
        if (edits.get(end).op() != Op.KEEP) {
          lastChange = end;
        }
        end++;
      }
      end = Math.min(edits.size(), lastChange + CONTEXT + 1);
      hunk(out, a, b, edits.subList(start, end));
      i = end;
    }
    return out.toString();
  }

  private static void hunk(StringBuilder out, List<String> a, List<String> b, List<Edit> edits) {
    int oldStart = -1;
    int newStart = -1;
    int oldCount = 0;
    int newCount = 0;
    for (Edit e : edits) {
      if (e.op() != Op.INSERT) {
        oldCount++;
        if (oldStart < 0) {
          oldStart = e.oldLine();
        }
      }
      if (e.op() != Op.DELETE) {
        newCount++;
        if (newStart < 0) {
          newStart = e.newLine();
        }
      }
    }
    if (oldStart < 0) {
      oldStart = edits.get(0).oldLine();
    }
    if (newStart < 0) {
      newStart = edits.get(0).newLine();
    }
    out.append("@@ -")
        .append(range(oldStart, oldCount))
        .append(" +")
        .append(range(newStart, newCount))
        .append(" @@\n");
    for (Edit e : edits) {
      switch (e.op()) {
        case KEEP -> out.append(' ').append(a.get(e.oldLine())).append('\n');
        case DELETE -> out.append('-').append(a.get(e.oldLine())).append('\n');
        case INSERT -> out.append('+').append(b.get(e.newLine())).append('\n');
        default -> throw new IllegalStateException();
      }
    }
  }

  private static String range(int zeroBasedStart, int count) {
    int start = count == 0 ? zeroBasedStart : zeroBasedStart + 1;
    return count == 1 ? Integer.toString(start) : start + "," + count;
  }

  private static List<Edit> edits(List<String> a, List<String> b) {
    int n = a.size();
    int m = b.size();
    int max = n + m;
    List<int[]> trace = new ArrayList<>();
    int[] v = new int[3];
    int found = -1;
    for (int d = 0; d <= Math.min(max, MAX_EDITS); d++) {
      int[] next = new int[2 * d + 3];
      for (int k = -d; k <= d; k += 2) {
        int x;
        if (k == -d || (k != d && get(v, d - 1, k - 1) < get(v, d - 1, k + 1))) {
          x = get(v, d - 1, k + 1);
        } else {
          x = get(v, d - 1, k - 1) + 1;
        }
        int y = x - k;
        while (x < n && y < m && a.get(x).equals(b.get(y))) {
          x++;
          y++;
        }
        next[k + d + 1] = x;
        if (x >= n && y >= m) {
          found = d;
          break;
        }
      }
      trace.add(next);
      v = next;
      if (found >= 0) {
        break;
      }
    }
    if (found < 0) {
      return replaceAll(n, m);
    }
    List<Edit> reversed = new ArrayList<>();
    int x = n;
    int y = m;
    for (int d = found; d > 0; d--) {
      int[] prev = trace.get(d - 1);
      int k = x - y;
      int prevK =
          (k == -d || (k != d && get(prev, d - 1, k - 1) < get(prev, d - 1, k + 1)))
              ? k + 1
              : k - 1;
      int prevX = get(prev, d - 1, prevK);
      int prevY = prevX - prevK;
      while (x > prevX && y > prevY) {
        reversed.add(new Edit(Op.KEEP, --x, --y));
      }
      if (x == prevX) {
        reversed.add(new Edit(Op.INSERT, x, --y));
      } else {
        reversed.add(new Edit(Op.DELETE, --x, y));
      }
    }
    while (x > 0 && y > 0) {
      reversed.add(new Edit(Op.KEEP, --x, --y));
    }
    List<Edit> edits = new ArrayList<>(reversed.size());
    for (int i = reversed.size() - 1; i >= 0; i--) {
      edits.add(reversed.get(i));
    }
    return edits;
  }

  /** v for step d holds diagonals -d-1 .. d+1 at offsets 0 .. 2d+2. */
  private static int get(int[] v, int d, int k) {
    int index = k + d + 1;
    return index >= 0 && index < v.length ? v[index] : 0;
  }

  private static List<Edit> replaceAll(int n, int m) {
    List<Edit> edits = new ArrayList<>(n + m);
    for (int i = 0; i < n; i++) {
      edits.add(new Edit(Op.DELETE, i, 0));
    }
    for (int j = 0; j < m; j++) {
      edits.add(new Edit(Op.INSERT, n, j));
    }
    return edits;
  }

  private static List<String> lines(String text) {
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    return lines;
  }
}
