package io.tunestream.spark;

import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Tokens of plain, strict JSON over UTF-8 bytes — what the Web API sends: RFC 8259 numbers,
 * literals and whitespace, double-quoted ASCII strings. It reads less than Jackson on purpose: a
 * byte past 127, an escape in a name or in text it is asked for, an integer of more than 18 digits,
 * nesting deeper than 64, single quotes, {@code NaN}, leading zeros, a control character — anything
 * outside that subset throws {@link #NOT_STRICT}, and Jackson reads the value instead. Inside the
 * subset its tokens and values are Jackson's.
 *
 * <p>It is faster where an analysis is big: skipping the segments' pitch and timbre numbers only
 * checks their characters, where Jackson copies each into its text buffer.
 */
final class StrictJson implements Tokens {
  /** Not plain strict JSON this reader takes; thrown without a stack trace. */
  static final class NotStrict extends IOException {
    private static final long serialVersionUID = 1L;

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  static final NotStrict NOT_STRICT = new NotStrict();

  private static final int MAX_DEPTH = 64;
  private static final int MAX_NAME = 1_000;
  private static final int MAX_NUMBER = 100;
  private static final int MAX_LONG_DIGITS = 18;

  private final byte[] in;
  private int pos;
  private JsonToken token;
  /** Whether each open container is an object (else an array), outermost first. */
  private final boolean[] objects = new boolean[MAX_DEPTH];

  private int depth;
  /** The current string's content or number's text: {@code in[start, end)}. */
  private int start;

  private int end;
  /** Whether the current string has an escape in it. */
  private boolean escaped;

  /** Whether the current number has neither a fraction nor an exponent. */
  private boolean integer;

  private int nameStart;
  private int nameEnd;
  private boolean nameEscaped;

  StrictJson(byte[] in) {
    this.in = in;
  }

  @Override
  public JsonToken nextToken() throws IOException {
    if (token == JsonToken.FIELD_NAME) {
      blank();
      return token = value();
    }
    int c = blank();
    if (depth == 0) {
      if (token != null) {
        throw NOT_STRICT; // past the root value (the reader stops at its end)
      }
      return token = value();
    }
    boolean object = objects[depth - 1];
    if (c == (object ? '}' : ']')) {
      pos++;
      depth--;
      return token = object ? JsonToken.END_OBJECT : JsonToken.END_ARRAY;
    }
    if (token != JsonToken.START_OBJECT && token != JsonToken.START_ARRAY) {
      if (c != ',') {
        throw NOT_STRICT;
      }
      pos++;
      c = blank();
    }
    if (!object) {
      return token = value();
    }
    if (c != '"') {
      throw NOT_STRICT;
    }
    string();
    nameStart = start;
    nameEnd = end;
    nameEscaped = escaped;
    if (blank() != ':') {
      throw NOT_STRICT;
    }
    pos++;
    return token = JsonToken.FIELD_NAME;
  }

  @Override
  public String currentName() throws IOException {
    return text(nameStart, nameEnd, nameEscaped || nameEnd - nameStart > MAX_NAME);
  }

  @Override
  public boolean currentNameIs(String name) throws IOException {
    if (nameEscaped) {
      throw NOT_STRICT;
    }
    if (nameEnd - nameStart != name.length()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (in[nameStart + i] != name.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public void skipChildren() throws IOException {
    if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
      int outside = depth - 1;
      while (depth > outside) {
        if (token == JsonToken.START_ARRAY) {
          numbers();
        }
        nextToken();
      }
    }
  }

  /**
   * Just inside an array: past the plain numbers it starts with and their commas, as that many
   * {@link #nextToken} calls would go (the pitch and timbre vectors are most of an analysis).
   * Stops before anything else — a non-number, the end — for {@link #nextToken} to read.
   */
  private void numbers() throws NotStrict {
    int i = pos;
    while (true) {
      i = pastBlanks(i);
      int c = at(i);
      if (c != '-' && !digit(c)) {
        return; // not a number: pos is still before it (and before its comma)
      }
      i = pastNumber(i);
      pos = i;
      token = JsonToken.VALUE_NUMBER_FLOAT; // a value was read: a comma or the end comes next
      i = pastBlanks(i);
      if (at(i) != ',') {
        return;
      }
      i++;
    }
  }

  @Override
  public String getText() throws IOException {
    if (token != JsonToken.VALUE_STRING) {
      throw NOT_STRICT;
    }
    return text(start, end, escaped);
  }

  @Override
  public long getLongValue() throws IOException {
    if (token != JsonToken.VALUE_NUMBER_INT) {
      throw NOT_STRICT;
    }
    boolean negative = in[start] == '-';
    int first = negative ? start + 1 : start;
    if (end - first > MAX_LONG_DIGITS) {
      throw NOT_STRICT;
    }
    long value = 0;
    for (int i = first; i < end; i++) {
      value = value * 10 + (in[i] - '0');
    }
    return negative ? -value : value;
  }

  @Override
  public double getDoubleValue() throws IOException {
    if (token == JsonToken.VALUE_NUMBER_INT) {
      if (end - start == 2 && in[start] == '-') {
        throw NOT_STRICT; // "-0": whether it is -0.0 or 0.0 is Jackson's to say
      }
      return getLongValue();
    }
    if (token != JsonToken.VALUE_NUMBER_FLOAT) {
      throw NOT_STRICT;
    }
    return Double.parseDouble(new String(in, start, end - start, StandardCharsets.ISO_8859_1));
  }

  @Override
  public String valueAsJson() throws IOException {
    throw NOT_STRICT;
  }

  private String text(int from, int to, boolean notPlain) throws NotStrict {
    if (notPlain) {
      throw NOT_STRICT;
    }
    return new String(in, from, to - from, StandardCharsets.ISO_8859_1); // ASCII only, checked
  }

  /** Past whitespace; the byte there (there must be one). */
  private int blank() throws NotStrict {
    pos = pastBlanks(pos);
    if (pos >= in.length) {
      throw NOT_STRICT;
    }
    return in[pos];
  }

  /** The index of the first byte from {@code i} that is not whitespace (or the length). */
  private int pastBlanks(int i) {
    while (i < in.length) {
      byte c = in[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return i;
      }
      i++;
    }
    return i;
  }

  private int at(int i) {
    return i < in.length ? in[i] : -1;
  }

  private static boolean digit(int c) {
    return c >= '0' && c <= '9';
  }

  private JsonToken value() throws NotStrict {
    switch (in[pos]) {
      case '{' -> {
        return open(true);
      }
      case '[' -> {
        return open(false);
      }
      case '"' -> {
        string();
        return JsonToken.VALUE_STRING;
      }
      case 't' -> {
        return literal("true", JsonToken.VALUE_TRUE);
      }
      case 'f' -> {
        return literal("false", JsonToken.VALUE_FALSE);
      }
      case 'n' -> {
        return literal("null", JsonToken.VALUE_NULL);
      }
      default -> {
        return number();
      }
    }
  }

  private JsonToken open(boolean object) throws NotStrict {
    if (depth == MAX_DEPTH) {
      throw NOT_STRICT;
    }
    objects[depth++] = object;
    pos++;
    return object ? JsonToken.START_OBJECT : JsonToken.START_ARRAY;
  }

  private JsonToken literal(String word, JsonToken literal) throws NotStrict {
    int length = word.length();
    if (pos + length > in.length) {
      throw NOT_STRICT;
    }
    for (int i = 0; i < length; i++) {
      if (in[pos + i] != word.charAt(i)) {
        throw NOT_STRICT;
      }
    }
    pos += length;
    return literal;
  }

  private JsonToken number() throws NotStrict {
    int i = pastNumber(pos);
    start = pos;
    end = i;
    pos = i;
    return integer ? JsonToken.VALUE_NUMBER_INT : JsonToken.VALUE_NUMBER_FLOAT;
  }

  /**
   * The index past the number at {@code i}: {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}
   * ({@link #integer}: without a fraction or exponent). What follows is the next token's to check
   * (a digit after a leading zero, say, is not a comma).
   */
  private int pastNumber(int i) throws NotStrict {
    int first = i;
    if (at(i) == '-') {
      i++;
    }
    int c = at(i);
    if (c == '0') {
      i++;
    } else if (c >= '1' && c <= '9') {
      do {
        i++;
      } while (digit(at(i)));
    } else {
      throw NOT_STRICT;
    }
    integer = true;
    if (at(i) == '.') {
      i = digits(i + 1);
      integer = false;
    }
    c = at(i);
    if (c == 'e' || c == 'E') {
      c = at(++i);
      i = digits(c == '+' || c == '-' ? i + 1 : i);
      integer = false;
    }
    if (i - first > MAX_NUMBER) {
      throw NOT_STRICT;
    }
    return i;
  }

  /** One digit or more from {@code i}; the index past them. */
  private int digits(int i) throws NotStrict {
    if (!digit(at(i))) {
      throw NOT_STRICT;
    }
    do {
      i++;
    } while (digit(at(i)));
    return i;
  }

  /** A string from the quote at {@code pos}: ASCII (a control character or a byte past 127 is not
   * taken), escapes checked as Jackson does ({@code \" \\ \/ \b \f \n \r \t \\uXXXX}). */
  private void string() throws NotStrict {
    int i = pos + 1;
    boolean anyEscape = false;
    while (true) {
      if (i >= in.length) {
        throw NOT_STRICT;
      }
      byte c = in[i];
      if (c == '"') {
        break;
      }
      if (c < 0x20) { // bytes are signed: every byte past 127 is below 0x20 too
        throw NOT_STRICT;
      }
      if (c == '\\') {
        anyEscape = true;
        i = escape(i + 1);
      } else {
        i++;
      }
    }
    start = pos + 1;
    end = i;
    escaped = anyEscape;
    pos = i + 1;
  }

  private int escape(int i) throws NotStrict {
    switch (at(i)) {
      case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
        return i + 1;
      }
      case 'u' -> {
        for (int k = i + 1; k <= i + 4; k++) {
          int c = at(k);
          if (!digit(c) && !(c >= 'a' && c <= 'f') && !(c >= 'A' && c <= 'F')) {
            throw NOT_STRICT;
          }
        }
        return i + 5;
      }
      default -> throw NOT_STRICT;
    }
  }
}
