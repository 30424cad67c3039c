package dev.muster.agent;

import dev.muster.agent.AgentConfig.Reload;
import dev.muster.discovery.Command;
import dev.muster.discovery.Escaper;
import dev.muster.discovery.Sink;
import dev.muster.discovery.TemplateRenderer;
import dev.muster.discovery.Validator;
import dev.muster.haproxy.Haproxy;
import dev.muster.kamailio.Kamailio;
import dev.muster.nginx.Nginx;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Any file from the memberships through a FreeMarker template (keepalived's peer list, say), every
 * interpolation escaped for its syntax, checked by a command of the user's if given.
 *
 * @param template the template
 * @param escape how every interpolation is escaped
 * @param validate the command that checks a candidate ({@code {file}} is its path), or {@code null}
 */
record TemplateOutput(
    String name,
    Path file,
    List<String> backends,
    Reload reload,
    Path template,
    Escape escape,
    List<String> validate)
    implements Output {

  /** The syntaxes a template's values can be escaped for. */
  enum Escape {
    TOKEN,
    HAPROXY,
    NGINX,
    KAMAILIO;

    /** The setting's word for it. */
    String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    Escaper escaper() {
      return switch (this) {
        case HAPROXY -> Haproxy.escaper();
        case NGINX -> Nginx.escaper();
        case KAMAILIO -> Kamailio.escaper();
        case TOKEN -> TemplateOutput.TOKEN;
      };
    }
  }

  /**
   * The default for template outputs whose syntax Muster does not know (keepalived, say): a value
   * keeps letters, digits and {@code . : _ - / @}; anything else (a space, a quote, a brace, a
   * newline) becomes {@code _}, so a tag can never end a token or start a new line.
   */
  static final Escaper TOKEN =
      text -> {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
          char c = text.charAt(i);
          boolean safe =
              (c >= 'a' && c <= 'z')
                  || (c >= 'A' && c <= 'Z')
                  || (c >= '0' && c <= '9')
                  || ".:_-/@".indexOf(c) >= 0;
          out.append(safe ? c : '_');
        }
        return out.toString();
      };

  @Override
  public String kind() {
    return "template (" + escape.word() + ")";
  }

  @Override
  public Map<String, Path> reads() {
    return Output.paths("template", template, "reload.master_socket", masterSocket());
  }

  @Override
  public Sink sink(Context context) {
    TemplateRenderer.Builder builder =
        TemplateRenderer.newBuilder().template(template).escaper(escape.word(), escape.escaper());
    if (context.zone() != null) {
      builder.zone(context.zone());
      context.floors().forEach(builder::zoneAware);
    }
    Validator validator =
        validate == null ? Validator.NONE : Command.validator(validate.toArray(String[]::new));
    return Sink.of(builder.build(), context.target(this, validator, Context.reloader(this, null)));
  }
}
