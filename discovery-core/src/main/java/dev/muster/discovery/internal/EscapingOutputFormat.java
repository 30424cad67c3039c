package dev.muster.discovery.internal;

import dev.muster.discovery.Escaper;
import freemarker.core.CommonMarkupOutputFormat;
import freemarker.core.CommonTemplateMarkupOutputModel;
import freemarker.template.TemplateModelException;
import java.io.IOException;
import java.io.Writer;

/**
 * A FreeMarker output format that runs every {@code ${...}} through an {@link Escaper}, so
 * templates escape for their configuration syntax by default; {@code ?no_esc} marks trusted text.
 */
public final class EscapingOutputFormat
    extends CommonMarkupOutputFormat<EscapingOutputFormat.Escaped> {
  private final String name;
  private final Escaper escaper;

  public EscapingOutputFormat(String name, Escaper escaper) {
    this.name = name;
    this.escaper = escaper;
  }

  @Override
  public void output(String textToEsc, Writer out) throws IOException, TemplateModelException {
    out.write(escapePlainText(textToEsc));
  }

  /** Escapes, turning a refusal into a template error that carries the template position. */
  @Override
  public String escapePlainText(String plainTextContent) throws TemplateModelException {
    try {
      return escaper.escape(plainTextContent);
    } catch (IllegalArgumentException e) {
      throw new TemplateModelException(e.getMessage(), e);
    }
  }

  @Override
  public boolean isLegacyBuiltInBypassed(String builtInName) {
    return false;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public String getMimeType() {
    return "text/plain";
  }

  @Override
  protected Escaped newTemplateMarkupOutputModel(String plainTextContent, String markupContent) {
    return new Escaped(plainTextContent, markupContent, this);
  }

  /** Text already escaped (or marked as markup) for this format. */
  public static final class Escaped extends CommonTemplateMarkupOutputModel<Escaped> {
    private final EscapingOutputFormat format;

    Escaped(String plainTextContent, String markupContent, EscapingOutputFormat format) {
      super(plainTextContent, markupContent);
      this.format = format;
    }

    @Override
    public EscapingOutputFormat getOutputFormat() {
      return format;
    }
  }
}
