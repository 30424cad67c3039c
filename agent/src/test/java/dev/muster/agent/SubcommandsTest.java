package dev.muster.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The command line holds one subcommand when the words name one (but completion), else every one.
 */
class SubcommandsTest {
  @Test
  void aSubcommandsWordsBuildThatSubcommandAloneUnderItsOwnName() {
    for (String name : Subcommands.NAMES) {
      if (name.equals("completion")) {
        continue;
      }
      CommandLine cli = Main.commandLine(new String[] {name, "--help"});
      assertEquals(List.of(name), new ArrayList<>(cli.getSubcommands().keySet()), name);
      // The name it is added under is the one its annotation declares (help and completion
      // print the annotation's).
      assertEquals(name, cli.getSubcommands().get(name).getCommandSpec().name(), name);
    }
  }

  @Test
  void anythingElseBuildsEverySubcommandInHelpsOrder() {
    for (String[] args :
        List.of(
            new String[] {},
            new String[] {"--help"},
            new String[] {"rnu"},
            new String[] {"completion"})) {
      CommandLine cli = Main.commandLine(args);
      assertEquals(Subcommands.NAMES, new ArrayList<>(cli.getSubcommands().keySet()));
    }
  }

  @Test
  void theCompletionScriptCoversEveryVisibleSubcommand() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(
        0, Main.run(new String[] {"completion"}, new PrintWriter(out), new PrintWriter(err)));
    for (String name : List.of("run", "check", "once", "render", "haproxy", "nginx", "demo")) {
      assertTrue(out.toString().contains("function _picocli_muster_" + name + "()"), name);
    }
  }

  @Test
  void helpListsEveryVisibleSubcommandAndAnUnknownOneIsNamed() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    assertEquals(0, Main.run(new String[] {"--help"}, new PrintWriter(out), new PrintWriter(err)));
    for (String name : Subcommands.NAMES) {
      boolean hidden =
          Main.commandLine(new String[] {name})
              .getSubcommands()
              .get(name)
              .getCommandSpec()
              .usageMessage()
              .hidden();
      assertEquals(!hidden, out.toString().contains("  " + name + " "), name + ":\n" + out);
    }
    out.getBuffer().setLength(0);
    assertEquals(
        Main.USAGE, Main.run(new String[] {"rnu"}, new PrintWriter(out), new PrintWriter(err)));
    assertTrue(err.toString().contains("rnu"), err.toString());
  }
}
