package io.tunestream.spark;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;

/**
 * What {@link AnalysisSummary} asks of a JSON token stream: Jackson's {@link JsonParser} methods it
 * uses, so that one reading of an analysis runs over Jackson or over {@link StrictJson}.
 */
interface Tokens {
  JsonToken nextToken() throws IOException;

  /** The name of the field whose {@code FIELD_NAME} token is current. */
  String currentName() throws IOException;

  /** Whether that name is {@code name} (without making a string of it). */
  boolean currentNameIs(String name) throws IOException;

  /** At the start of an object or array: on to its end token; otherwise nothing. */
  void skipChildren() throws IOException;

  /** A string value's text. */
  String getText() throws IOException;

  long getLongValue() throws IOException;

  double getDoubleValue() throws IOException;

  /** The current value (with what it holds) as JSON text. */
  String valueAsJson() throws IOException;

  /** Jackson's parser as {@link Tokens}. */
  record Jackson(JsonParser parser) implements Tokens {
    @Override
    public JsonToken nextToken() throws IOException {
      return parser.nextToken();
    }

    @Override
    public String currentName() throws IOException {
      return parser.currentName();
    }

    @Override
    public boolean currentNameIs(String name) throws IOException {
      return name.equals(parser.currentName());
    }

    @Override
    public void skipChildren() throws IOException {
      parser.skipChildren();
    }

    @Override
    public String getText() throws IOException {
      return parser.getText();
    }

    @Override
    public long getLongValue() throws IOException {
      return parser.getLongValue();
    }

    @Override
    public double getDoubleValue() throws IOException {
      return parser.getDoubleValue();
    }

    @Override
    public String valueAsJson() throws IOException {
      StringWriter text = new StringWriter();
      try (JsonGenerator generator = AnalysisSummary.JSON.createGenerator(text)) {
        generator.copyCurrentStructure(parser);
      }
      return text.toString();
    }
  }
}
