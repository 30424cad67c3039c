package dev.muster.agent;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * What a mistyped command line says: an unknown option by name, with the nearest real ones, ahead
 * of what it caused ({@code --conifg FILE} also leaves {@code --config} missing).
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {

  @Override
  public int handleParseException(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    var err = command.getErr();
    List<String> unknown = unknownOptions(command.getCommandSpec(), args);
    if (unknown.isEmpty()) {
      err.println("muster: " + e.getMessage());
    }
    for (String option : unknown) {
      List<String> near = Nearest.among(command.getCommandSpec().optionsMap().keySet(), option, 3);
      err.println(
          "muster: unknown option "
              + option
              + (near.isEmpty() ? "" : "; did you mean " + String.join(", ", near) + "?"));
    }
    err.println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for the options.");
    err.flush();
    return Main.USAGE;
  }

  /** The words of {@code args} after the subcommand's name that look like options it lacks. */
  private static List<String> unknownOptions(CommandLine.Model.CommandSpec spec, String[] args) {
    List<String> out = new ArrayList<>();
    boolean inCommand = spec.parent() == null;
    for (String arg : args) {
      if (!inCommand) {
        inCommand = arg.equals(spec.name());
        continue;
      }
      if (arg.equals("--")) {
        break;
      }
      String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      if (name.startsWith("-") && name.length() > 1 && !spec.optionsMap().containsKey(name)) {
        out.add(name);
      }
    }
    return out;
  }
}
