package dev.muster.testkit.internal;

import dev.muster.testkit.FakeInstance;
import dev.muster.testkit.FakeInterface;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** Writes the XML that EC2's Query API answers with (API version 2016-11-15). */
public final class Ec2Xml {
  private static final String NS = "http://ec2.amazonaws.com/doc/2016-11-15/";

  private Ec2Xml() {}

  /** A {@code DescribeInstancesResponse}; consecutive instances of a reservation share an item. */
  public static String describeInstances(
      String requestId, List<FakeInstance> instances, String nextToken) {
    StringBuilder xml = new StringBuilder(256 + instances.size() * 1200);
    xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .append("<DescribeInstancesResponse xmlns=\"")
        .append(NS)
        .append("\">")
        .append("<requestId>")
        .append(requestId)
        .append("</requestId><reservationSet>");
    String open = null;
    for (FakeInstance instance : instances) {
      if (!instance.reservationId().equals(open)) {
        if (open != null) {
          xml.append("</instancesSet></item>");
        }
        open = instance.reservationId();
        xml.append("<item>");
        element(xml, "reservationId", open);
        element(xml, "ownerId", "123456789012");
        xml.append("<groupSet/><instancesSet>");
      }
      instance(xml, instance);
    }
    if (open != null) {
      xml.append("</instancesSet></item>");
    }
    xml.append("</reservationSet>");
    if (nextToken != null) {
      element(xml, "nextToken", nextToken);
    }
    return xml.append("</DescribeInstancesResponse>").toString();
  }

  private static void instance(StringBuilder xml, FakeInstance i) {
    xml.append("<item>");
    element(xml, "instanceId", i.instanceId());
    element(xml, "imageId", i.imageId());
    xml.append("<instanceState><code>")
        .append(i.state().code())
        .append("</code><name>")
        .append(i.state().wireName())
        .append("</name></instanceState>");
    element(xml, "privateDnsName", i.privateDnsName());
    element(xml, "dnsName", i.publicDnsName() == null ? "" : i.publicDnsName());
    element(xml, "reason", "");
    element(xml, "amiLaunchIndex", "0");
    element(xml, "instanceType", i.instanceType());
    element(
        xml,
        "launchTime",
        DateTimeFormatter.ISO_INSTANT.format(i.launchTime().truncatedTo(ChronoUnit.MILLIS)));
    xml.append("<placement>");
    element(xml, "availabilityZone", i.availabilityZone());
    element(xml, "tenancy", "default");
    xml.append("</placement><monitoring><state>disabled</state></monitoring>");
    element(xml, "subnetId", i.subnetId());
    element(xml, "vpcId", i.vpcId());
    element(xml, "privateIpAddress", i.privateIp());
    if (i.publicIp() != null) {
      element(xml, "ipAddress", i.publicIp());
    }
    if (i.ipv6() != null) {
      element(xml, "ipv6Address", i.ipv6());
    }
    // What real answers nest inside an instance, with names that also occur at its top level
    // (privateIpAddress, ipv6Address, item): a reader must take only the instance's own.
    xml.append("<groupSet><item><groupId>sg-0123456789abcdef0</groupId>")
        .append("<groupName>web</groupName></item></groupSet>");
    xml.append("<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs>")
        .append("<volumeId>vol-0123456789abcdef0</volumeId><status>attached</status>")
        .append("</ebs></item></blockDeviceMapping>");
    xml.append("<networkInterfaceSet>");
    if (i.interfaces().isEmpty()) {
      networkInterface(
          xml,
          i,
          new FakeInterface(
              "eni-" + i.instanceId().substring(2),
              0,
              "",
              i.privateIp(),
              List.of(),
              i.publicIp(),
              i.ipv6() == null ? List.of() : List.of(i.ipv6())));
    } else {
      for (FakeInterface eni : i.interfaces()) {
        networkInterface(xml, i, eni);
      }
    }
    xml.append("</networkInterfaceSet>");
    if (!i.tags().isEmpty()) {
      xml.append("<tagSet>");
      for (Map.Entry<String, String> tag : i.tags().entrySet()) {
        xml.append("<item>");
        element(xml, "key", tag.getKey());
        element(xml, "value", tag.getValue());
        xml.append("</item>");
      }
      xml.append("</tagSet>");
    }
    xml.append("</item>");
  }

  private static void networkInterface(StringBuilder xml, FakeInstance i, FakeInterface eni) {
    xml.append("<item>");
    element(xml, "networkInterfaceId", eni.networkInterfaceId());
    element(xml, "subnetId", i.subnetId());
    element(xml, "vpcId", i.vpcId());
    element(xml, "description", eni.description());
    element(xml, "privateIpAddress", eni.privateIp());
    xml.append("<attachment><deviceIndex>")
        .append(eni.deviceIndex())
        .append("</deviceIndex><status>attached</status></attachment>");
    if (eni.publicIp() != null) {
      xml.append("<association>");
      element(xml, "publicIp", eni.publicIp());
      xml.append("</association>");
    }
    xml.append("<privateIpAddressesSet><item>");
    element(xml, "privateIpAddress", eni.privateIp());
    xml.append("<primary>true</primary></item>");
    for (String secondary : eni.secondaryPrivateIps()) {
      xml.append("<item>");
      element(xml, "privateIpAddress", secondary);
      xml.append("<primary>false</primary></item>");
    }
    xml.append("</privateIpAddressesSet>");
    if (!eni.ipv6().isEmpty()) {
      xml.append("<ipv6AddressesSet>");
      for (String v6 : eni.ipv6()) {
        xml.append("<item>");
        element(xml, "ipv6Address", v6);
        xml.append("</item>");
      }
      xml.append("</ipv6AddressesSet>");
    }
    xml.append("</item>");
  }

  /** A {@code DescribeAvailabilityZonesResponse} with zones a, b and c of {@code region}. */
  public static String availabilityZones(String requestId, String region) {
    StringBuilder xml = new StringBuilder(512);
    xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .append("<DescribeAvailabilityZonesResponse xmlns=\"")
        .append(NS)
        .append("\"><requestId>")
        .append(requestId)
        .append("</requestId><availabilityZoneInfo>");
    int n = 1;
    for (String zone : List.of("a", "b", "c")) {
      xml.append("<item>");
      element(xml, "zoneName", region + zone);
      element(xml, "zoneState", "available");
      element(xml, "regionName", region);
      element(xml, "zoneId", zoneIdPrefix(region) + "-az" + n++);
      element(xml, "zoneType", "availability-zone");
      xml.append("</item>");
    }
    return xml.append("</availabilityZoneInfo></DescribeAvailabilityZonesResponse>").toString();
  }

  /** The short region form of zone ids: {@code us-east-1} gives {@code use1}. */
  private static String zoneIdPrefix(String region) {
    String[] parts = region.split("-");
    StringBuilder out = new StringBuilder(parts[0]);
    for (int i = 1; i < parts.length; i++) {
      out.append(i == parts.length - 1 ? parts[i] : parts[i].substring(0, 1));
    }
    return out.toString();
  }

  /** The error body EC2 sends, for example with {@code RequestLimitExceeded} and HTTP 503. */
  public static String error(String requestId, String code, String message) {
    StringBuilder xml = new StringBuilder(256);
    xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>");
    element(xml, "Code", code);
    element(xml, "Message", message);
    xml.append("</Error></Errors>");
    element(xml, "RequestID", requestId);
    return xml.append("</Response>").toString();
  }

  private static void element(StringBuilder xml, String name, String text) {
    xml.append('<').append(name).append('>');
    escape(xml, text);
    xml.append("</").append(name).append('>');
  }

  /** Escapes markup, and writes tab, CR and LF as references so a parser keeps them. */
  static void escape(StringBuilder xml, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> xml.append("&amp;");
        case '<' -> xml.append("&lt;");
        case '>' -> xml.append("&gt;");
        case '"' -> xml.append("&quot;");
        case '\'' -> xml.append("&apos;");
        case '\n' -> xml.append("&#10;");
        case '\r' -> xml.append("&#13;");
        case '\t' -> xml.append("&#9;");
        default -> xml.append(c);
      }
    }
  }

  /** A 200 answer cut short, as when a connection drops mid-body. */
  public static String cutShort() {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeInstancesResponse "
        + "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><reservationSet><item>";
  }
}
