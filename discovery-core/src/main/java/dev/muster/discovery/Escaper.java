package dev.muster.discovery;

/**
 * Makes untrusted text safe for one configuration syntax. {@link TemplateRenderer} applies it to
 * every {@code ${...}} interpolation, so a value from a tag can never start a new line, directive
 * or comment in the generated file. Trusted text (a header the operator wrote, a server options
 * string from configuration) is marked {@code ?no_esc} in the template.
 *
 * <p>Implementations either return text that the syntax reads as exactly one literal token, or
 * refuse with {@link IllegalArgumentException} when the syntax has no safe way to carry the value.
 * They are pure functions and thread-safe.
 */
@FunctionalInterface
public interface Escaper {

  /**
   * Escapes {@code text}.
   *
   * @throws IllegalArgumentException if the value cannot be carried safely; the message says why
   *     and becomes part of the {@link RenderException}
   */
  String escape(String text);
}
