package dev.muster.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class QueryTest {

  @Test
  void defaultsToRunningInstances() {
    assertEquals("instance-state-name=running", Query.newBuilder().build().toString());
  }

  @Test
  void keepsFilterOrderAndOrsValues() {
    Query q =
        Query.newBuilder()
            .tag("role", "web", "api")
            .autoScalingGroup("asg")
            .states("running", "pending")
            .build();

    assertEquals(
        "tag:role=web|api, tag:aws:autoscaling:groupName=asg, "
            + "instance-state-name=running|pending",
        q.toString());
  }

  @Test
  void anyStateDropsTheStateFilter() {
    assertFalse(Query.newBuilder().anyState().build().filters().containsKey("instance-state-name"));
  }

  @Test
  void rawStateFilterIsTheSameAsStates() {
    assertEquals(
        List.of("stopped"),
        Query.newBuilder()
            .filter("instance-state-name", "stopped")
            .build()
            .filters()
            .get("instance-state-name"));
  }

  @Test
  void refusesBadFiltersNamingThem() {
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> Query.newBuilder().tag("role", "a").tag("role", "b"))
            .getMessage()
            .contains("tag:role is given twice"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Query.newBuilder().tag("role"))
            .getMessage()
            .contains("at least one value"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Query.newBuilder().tag("role", "a\nb"))
            .getMessage()
            .contains("U+000A"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Query.newBuilder().states("runing"))
            .getMessage()
            .contains("unknown state"));
    assertThrows(IllegalArgumentException.class, () -> Query.newBuilder().tag("", "x"));
  }
}
