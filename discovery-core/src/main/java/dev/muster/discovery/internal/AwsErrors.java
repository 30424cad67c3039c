package dev.muster.discovery.internal;

/**
 * What a failed AWS call says to a user: the HTTP status, the error code and message (which the
 * SDK's own message may lack), the request id; for any other failure, its message with every cause
 * that adds something.
 */
public final class AwsErrors {
  private AwsErrors() {}

  /**
   * The failure's message with every cause that adds something, and for an AWS error its HTTP
   * status, error code and message (the SDK's own message may have none of them).
   */
  public static String describe(RuntimeException e) {
    if (e instanceof software.amazon.awssdk.awscore.exception.AwsServiceException aws) {
      var details = aws.awsErrorDetails();
      String code = details == null ? null : details.errorCode();
      String message = details == null ? null : details.errorMessage();
      if (code == null && details != null && details.rawResponse() != null) {
        // The SDK does not parse the body of some statuses (EC2's 401 AuthFailure); the
        // user still needs its code and message.
        String body = details.rawResponse().asUtf8String();
        code = xmlText(body, "Code");
        message = message != null ? message : xmlText(body, "Message");
      }
      if (code == null && aws.statusCode() == 401) {
        // The JDK's HTTP client drops the body of a 401, so EC2's AuthFailure is not seen.
        code = "(AuthFailure)";
        message =
            "the credentials were not accepted; check the instance role or the AWS_* "
                + "keys, and that the system clock is right";
      }
      return "AWS answered HTTP "
          + aws.statusCode()
          + (code == null ? " without an error code" : " " + code)
          + (message == null || message.isBlank() ? "" : ": " + message)
          + (aws.requestId() == null ? "" : " (request id " + aws.requestId() + ")");
    }
    if (isMissingCredentials(e)) {
      return NO_CREDENTIALS;
    }
    StringBuilder text = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable cause = e.getCause();
        cause != null && cause != cause.getCause();
        cause = cause.getCause()) {
      if (cause.getMessage() != null && !text.toString().contains(cause.getMessage())) {
        text.append(": ").append(cause.getMessage());
      }
    }
    return text.toString();
  }

  /**
   * One line in place of the SDK's chain dump (each provider's reason, about 1,500 characters):
   * what the default chain tries and what to set.
   */
  static final String NO_CREDENTIALS =
      "no AWS credentials: the SDK's default chain found none (it tries the aws.accessKeyId "
          + "property, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE, "
          + "the profile AWS_PROFILE in ~/.aws, container credentials, then the instance "
          + "profile); on EC2 attach an instance profile, elsewhere set AWS_PROFILE or the two "
          + "AWS_* keys (a test stand-in accepts any values)";

  private static boolean isMissingCredentials(Throwable e) {
    for (Throwable t = e; t != null && t != t.getCause(); t = t.getCause()) {
      String message = t.getMessage();
      if (message != null && message.startsWith("Unable to load credentials from any of the")) {
        return true;
      }
    }
    return false;
  }

  private static String xmlText(String body, String element) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("<" + element + ">([^<]{1,300})</" + element + ">")
            .matcher(body);
    return m.find() ? Validation.printable(m.group(1)) : null;
  }
}
