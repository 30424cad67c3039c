/** Wire formats of the stand-ins: Query form bodies, EC2 XML, filter matching. Not API. */
package dev.muster.testkit.internal;
