/** nginx for Muster: upstream include files, {@code nginx -t} in your main config, reload. */
module dev.muster.nginx {
  requires transitive dev.muster.discovery;
  requires org.slf4j;
  requires java.net.http;

  exports dev.muster.nginx;

  // FreeMarker reads the default template from this package's resources.
  opens dev.muster.nginx to
      freemarker;
}
