/**
 * HAProxy for Muster: config-file mode ({@code HaproxyConfig}, {@code MasterCliReloader}) and
 * runtime-API mode ({@code HaproxyRuntime}). Everything in {@code internal} stays inside.
 */
module dev.muster.haproxy {
  requires transitive dev.muster.discovery;
  requires org.slf4j;

  exports dev.muster.haproxy;

  // FreeMarker reads the default template from this package's resources.
  opens dev.muster.haproxy to
      freemarker;
}
