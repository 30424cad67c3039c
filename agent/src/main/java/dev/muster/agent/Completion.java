package dev.muster.agent;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code muster completion}: prints the bash completion script for every command and option
 * (picocli generates it from the command model, so it never falls behind). The packages install it
 * as /usr/share/bash-completion/completions/muster; elsewhere: {@code source <(muster completion)}.
 */
@Command(
    name = "completion",
    description = "Prints the bash completion script; source it, e.g. source <(muster completion).")
final class Completion implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    CommandLine root = spec.root().commandLine();
    String script = AutoComplete.bash("muster", root);
    // Sourced, never run: no #! line (lintian and rpmlint ask for that).
    if (script.startsWith("#!")) {
      script = script.substring(script.indexOf('\n') + 1);
    }
    spec.commandLine().getOut().print(script);
    spec.commandLine().getOut().flush();
    return Main.OK;
  }
}
