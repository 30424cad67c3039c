package dev.muster.testkit.internal;

/** An error the fake EC2 endpoint answers with: HTTP status, EC2 error code and message. */
public final class Ec2Error extends RuntimeException {
  private final int status;
  private final String code;

  public Ec2Error(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
