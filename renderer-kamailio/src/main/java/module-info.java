/**
 * Kamailio for Muster: the dispatcher list, its checker, and {@code dispatcher.reload} over
 * JSON-RPC with a read-back. Everything in {@code internal} stays inside.
 */
module dev.muster.kamailio {
  requires transitive dev.muster.discovery;
  requires java.net.http;
  requires org.slf4j;

  exports dev.muster.kamailio;

  // FreeMarker reads the default template from this package's resources.
  opens dev.muster.kamailio to
      freemarker;
}
