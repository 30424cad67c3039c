package dev.muster.discovery;

import java.util.Map;

/**
 * Turns memberships into the text of a configuration file. {@link TemplateRenderer} is the
 * FreeMarker-backed implementation; the renderer modules supply default templates for it.
 *
 * <p>Contract: the output depends only on the memberships (and the renderer's fixed settings), so
 * rendering the same memberships twice gives the same text: no timestamps, no random ids.
 * Implementations are thread-safe.
 */
@FunctionalInterface
public interface Renderer {

  /**
   * Renders the file.
   *
   * @param memberships one snapshot per backend name, iterated in name order
   * @return the complete file text
   * @throws RenderException if the template fails or a value cannot be written safely
   */
  String render(Map<String, Snapshot> memberships);
}
