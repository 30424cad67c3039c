package dev.muster.discovery.internal;

import com.fasterxml.aalto.stax.InputFactoryImpl;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceIpv6Address;
import software.amazon.awssdk.services.ec2.model.InstanceNetworkInterface;
import software.amazon.awssdk.services.ec2.model.InstanceNetworkInterfaceAssociation;
import software.amazon.awssdk.services.ec2.model.InstanceNetworkInterfaceAttachment;
import software.amazon.awssdk.services.ec2.model.InstancePrivateIpAddress;
import software.amazon.awssdk.services.ec2.model.InstanceState;
import software.amazon.awssdk.services.ec2.model.Placement;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.utils.DateUtils;

/**
 * Reads a {@code DescribeInstances} page straight from the response bytes with StAX, keeping only
 * what a member is made of, instead of letting the SDK build its element tree and full model of a
 * response that runs to megabytes at thousands of instances. The SDK still signs, sends, retries
 * and reports errors: this is an {@link ExecutionInterceptor} on the client that, for a request
 * carrying a {@link #PAGE} holder, parses a successful response's body into the holder and hands
 * the SDK a minimal body with the same {@code requestId} and {@code nextToken}. Error responses
 * pass through untouched. A body that cannot be read fails the attempt as the SDK's own
 * unmarshaller would ({@code Unable to unmarshall response}), so it is retried the same way.
 *
 * <p>Per instance it keeps: id, state name, private and public IPv4 address, private DNS name, the
 * IPv6 address, zone, subnet, VPC, launch time and tags; and per network interface its device
 * index, description, private IPv4 addresses (primary and secondary), public IPv4 and IPv6
 * addresses; only elements that are direct children of the instance (or of its placement, state,
 * tag set and interfaces) count, so that the many nested elements with the same names (an
 * interface's {@code privateIpAddress}, a group's {@code item}) are never mistaken for the
 * instance's. DTDs and external entities are refused.
 */
public final class StreamingDescribeInstances {
  private StreamingDescribeInstances() {}

  /** Where the interceptor puts a page; one per request (each attempt replaces its content). */
  public static final class Page {
    private List<Instance> instances;

    /** The instances of the last successful attempt, or {@code null} if it was not parsed here. */
    public List<Instance> instances() {
      return instances;
    }
  }

  /** The execution attribute a request carries to be read by the streaming path. */
  public static final ExecutionAttribute<Page> PAGE = new ExecutionAttribute<>("MusterPage");

  /** The interceptor to register on an EC2 client. */
  public static final ExecutionInterceptor INTERCEPTOR =
      new ExecutionInterceptor() {
        @Override
        public Optional<InputStream> modifyHttpResponseContent(
            Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
          Page page = attributes.getAttribute(PAGE);
          if (page == null
              || !context.httpResponse().isSuccessful()
              || context.responseBody().isEmpty()) {
            return context.responseBody();
          }
          Parsed parsed = parse(context.responseBody().get());
          page.instances = parsed.instances();
          return Optional.of(
              new ByteArrayInputStream(minimal(parsed).getBytes(StandardCharsets.UTF_8)));
        }
      };

  private static final XMLInputFactory FACTORY = factory();

  /**
   * Aalto, named here rather than found through {@code XMLInputFactory.newFactory()}: the JDK's own
   * parser spends about a third more CPU on a 10,000-instance poll (BENCHMARKS.md), and the choice
   * must not depend on what else is on the classpath.
   */
  private static XMLInputFactory factory() {
    XMLInputFactory f = new InputFactoryImpl();
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    f.setProperty(XMLInputFactory.IS_COALESCING, true);
    return f;
  }

  /** One page: its instances, and the {@code requestId} and {@code nextToken} to hand on. */
  public record Parsed(List<Instance> instances, String requestId, String nextToken) {}

  /**
   * Reads one {@code DescribeInstancesResponse}.
   *
   * @throws SdkClientException starting {@code Unable to unmarshall response} if it cannot
   */
  public static Parsed parse(InputStream body) {
    try {
      XMLStreamReader r = FACTORY.createXMLStreamReader(body);
      try {
        return read(r);
      } finally {
        r.close();
      }
    } catch (XMLStreamException | RuntimeException e) {
      throw SdkClientException.create(
          "Unable to unmarshall response (streaming DescribeInstances): " + e.getMessage(), e);
    }
  }

  private static Parsed read(XMLStreamReader r) throws XMLStreamException {
    List<Instance> instances = new ArrayList<>();
    String requestId = null;
    String nextToken = null;
    boolean sawRoot = false;
    // depth 1: the response; 2: its children; reservations at reservationSet/item (3),
    // instancesSet (4), instances at instancesSet/item (5).
    int depth = 0;
    String[] path = new String[8];
    while (r.hasNext()) {
      int event = r.next();
      if (event == XMLStreamConstants.START_ELEMENT) {
        depth++;
        String name = r.getLocalName();
        if (depth < path.length) {
          path[depth] = name;
        }
        if (depth == 1) {
          if (!name.equals("DescribeInstancesResponse")) {
            throw new IllegalStateException("not a DescribeInstancesResponse: " + name);
          }
          sawRoot = true;
        } else if (depth == 2 && name.equals("requestId")) {
          requestId = r.getElementText();
          depth--;
        } else if (depth == 2 && name.equals("nextToken")) {
          nextToken = r.getElementText();
          depth--;
        } else if (depth == 5
            && name.equals("item")
            && "instancesSet".equals(path[4])
            && "item".equals(path[3])
            && "reservationSet".equals(path[2])) {
          instances.add(instance(r));
          depth--;
        }
      } else if (event == XMLStreamConstants.END_ELEMENT) {
        depth--;
      }
    }
    if (!sawRoot || depth != 0) {
      throw new IllegalStateException("the response ended early");
    }
    return new Parsed(instances, requestId, nextToken);
  }

  /** Reads one instance {@code item}; returns at its end tag. */
  private static Instance instance(XMLStreamReader r) throws XMLStreamException {
    Instance.Builder b = Instance.builder();
    List<Tag> tags = new ArrayList<>();
    List<InstanceNetworkInterface> interfaces = new ArrayList<>();
    while (true) {
      int event = r.nextTag();
      if (event == XMLStreamConstants.END_ELEMENT) {
        break;
      }
      switch (r.getLocalName()) {
        case "instanceId" -> b.instanceId(r.getElementText());
        case "privateIpAddress" -> b.privateIpAddress(r.getElementText());
        case "ipAddress" -> b.publicIpAddress(r.getElementText());
        case "privateDnsName" -> b.privateDnsName(r.getElementText());
        case "ipv6Address" -> b.ipv6Address(r.getElementText());
        case "subnetId" -> b.subnetId(r.getElementText());
        case "vpcId" -> b.vpcId(r.getElementText());
        case "launchTime" -> b.launchTime(launchTime(r.getElementText()));
        case "instanceState" -> b.state(state(r));
        case "placement" -> b.placement(placement(r));
        case "tagSet" -> items(r, () -> tags.add(tag(r)));
        case "networkInterfaceSet" -> items(r, () -> interfaces.add(networkInterface(r)));
        default -> skip(r);
      }
    }
    return b.tags(tags).networkInterfaces(interfaces).build();
  }

  private static Instant launchTime(String text) {
    return text.isEmpty() ? null : DateUtils.parseIso8601Date(text);
  }

  private static InstanceState state(XMLStreamReader r) throws XMLStreamException {
    InstanceState.Builder s = InstanceState.builder();
    while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
      switch (r.getLocalName()) {
        case "name" -> s.name(r.getElementText());
        case "code" -> s.code(Integer.valueOf(r.getElementText().strip()));
        default -> skip(r);
      }
    }
    return s.build();
  }

  private static Placement placement(XMLStreamReader r) throws XMLStreamException {
    Placement.Builder p = Placement.builder();
    while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
      if (r.getLocalName().equals("availabilityZone")) {
        p.availabilityZone(r.getElementText());
      } else {
        skip(r);
      }
    }
    return p.build();
  }

  private static Tag tag(XMLStreamReader r) throws XMLStreamException {
    Tag.Builder t = Tag.builder();
    while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
      switch (r.getLocalName()) {
        case "key" -> t.key(r.getElementText());
        case "value" -> t.value(r.getElementText());
        default -> skip(r);
      }
    }
    return t.build();
  }

  private static InstanceNetworkInterface networkInterface(XMLStreamReader r)
      throws XMLStreamException {
    InstanceNetworkInterface.Builder n = InstanceNetworkInterface.builder();
    List<InstanceIpv6Address> ipv6 = new ArrayList<>();
    List<InstancePrivateIpAddress> privateIps = new ArrayList<>();
    while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
      switch (r.getLocalName()) {
        case "attachment" -> n.attachment(attachment(r));
        case "description" -> n.description(r.getElementText());
        case "privateIpAddress" -> n.privateIpAddress(r.getElementText());
        case "association" -> {
          InstanceNetworkInterfaceAssociation.Builder a =
              InstanceNetworkInterfaceAssociation.builder();
          while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
            if (r.getLocalName().equals("publicIp")) {
              a.publicIp(r.getElementText());
            } else {
              skip(r);
            }
          }
          n.association(a.build());
        }
        case "privateIpAddressesSet" ->
            items(
                r,
                () -> {
                  InstancePrivateIpAddress.Builder a = InstancePrivateIpAddress.builder();
                  while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
                    switch (r.getLocalName()) {
                      case "privateIpAddress" -> a.privateIpAddress(r.getElementText());
                      case "primary" -> a.primary(Boolean.valueOf(r.getElementText().strip()));
                      default -> skip(r);
                    }
                  }
                  privateIps.add(a.build());
                });
        case "ipv6AddressesSet" ->
            items(
                r,
                () -> {
                  InstanceIpv6Address.Builder a = InstanceIpv6Address.builder();
                  while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
                    if (r.getLocalName().equals("ipv6Address")) {
                      a.ipv6Address(r.getElementText());
                    } else {
                      skip(r);
                    }
                  }
                  ipv6.add(a.build());
                });
        default -> skip(r);
      }
    }
    return n.ipv6Addresses(ipv6).privateIpAddresses(privateIps).build();
  }

  private static InstanceNetworkInterfaceAttachment attachment(XMLStreamReader r)
      throws XMLStreamException {
    InstanceNetworkInterfaceAttachment.Builder a = InstanceNetworkInterfaceAttachment.builder();
    while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
      if (r.getLocalName().equals("deviceIndex")) {
        a.deviceIndex(Integer.valueOf(r.getElementText().strip()));
      } else {
        skip(r);
      }
    }
    return a.build();
  }

  /** A reader positioned on an item; reads to its end tag. */
  private interface ItemReader {
    void read() throws XMLStreamException;
  }

  /** Reads every {@code item} child of the current element with {@code item}. */
  private static void items(XMLStreamReader r, ItemReader item) throws XMLStreamException {
    while (r.nextTag() == XMLStreamConstants.START_ELEMENT) {
      if (r.getLocalName().equals("item")) {
        item.read();
      } else {
        skip(r);
      }
    }
  }

  /** Skips the current element and everything in it. */
  private static void skip(XMLStreamReader r) throws XMLStreamException {
    int depth = 1;
    while (depth > 0) {
      int event = r.next();
      if (event == XMLStreamConstants.START_ELEMENT) {
        depth++;
      } else if (event == XMLStreamConstants.END_ELEMENT) {
        depth--;
      }
    }
  }

  /** The body the SDK unmarshals instead: the same request id and token, no reservations. */
  static String minimal(Parsed parsed) {
    StringBuilder xml =
        new StringBuilder(
            "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">");
    if (parsed.requestId() != null) {
      xml.append("<requestId>").append(escape(parsed.requestId())).append("</requestId>");
    }
    xml.append("<reservationSet/>");
    if (parsed.nextToken() != null) {
      xml.append("<nextToken>").append(escape(parsed.nextToken())).append("</nextToken>");
    }
    return xml.append("</DescribeInstancesResponse>").toString();
  }

  private static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\r' -> out.append("&#13;");
        case '\n' -> out.append("&#10;");
        case '\t' -> out.append("&#9;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
