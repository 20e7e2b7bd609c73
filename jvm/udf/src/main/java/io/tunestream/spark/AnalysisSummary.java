package io.tunestream.spark;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;

/**
 * An audio analysis (the Web API's AudioAnalysisObject, as the record's raw bytes) reduced to the
 * summary the tables use: its track-level values, how many of each interval, and how many sections
 * change key. The job calls it as the SQL function {@code tunestream_analysis_summary}; its result
 * type is {@code ANALYSIS_SUMMARY} in {@code tunestream.spark.schemas}, field for field.
 *
 * <p>An analysis is mostly per-segment pitch and timbre vectors no table reads. {@code from_json}
 * builds a row for every interval to count them; this reader streams the bytes once and builds
 * nothing for them. It checks what {@code from_json} would with {@code AUDIO_ANALYSIS} (the fields
 * that schema names, type by type, with Spark's JSON options): a value that does not fit gives
 * null, which the job quarantines with its reason, as it does for the other entities.
 *
 * <p>Plain strict JSON (the Web API's) is tokenized by {@link StrictJson}. Anything else, and every
 * value that does not fit, is read as Spark reads it: the bytes decoded to text, then Jackson with
 * Spark's options.
 */
public final class AnalysisSummary implements UDF1<byte[], Row> {
  private static final long serialVersionUID = 1L;

  /** Spark's JSON defaults: single quotes and NaN/Infinity accepted, nothing else lenient. */
  static final JsonFactory JSON =
      JsonFactory.builder()
          .enable(JsonReadFeature.ALLOW_SINGLE_QUOTES)
          .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
          .build();

  /** The {@code track} fields checked; the summary takes most of them. */
  private static final List<String> TRACK =
      List.of(
          "num_samples", "duration", "end_of_fade_in", "start_of_fade_out", "loudness", "tempo",
          "tempo_confidence", "time_signature", "time_signature_confidence", "key",
          "key_confidence", "mode", "mode_confidence");

  /** The {@code track} fields that are integers (longs); the others are numbers (doubles). */
  private static final Set<String> TRACK_INTEGERS =
      Set.of("num_samples", "time_signature", "key", "mode");

  private static int track(String field) {
    return TRACK.indexOf(field);
  }

  /** A value that does not fit the schema; thrown without a stack trace, caught in {@link #call}. */
  private static final class Misfit extends Exception {
    private static final long serialVersionUID = 1L;

    Misfit() {
      super(null, null, false, false);
    }
  }

  private static final Misfit MISFIT = new Misfit();

  @Override
  public Row call(byte[] value) {
    if (value == null) {
      return null;
    }
    try {
      return document(new StrictJson(value));
    } catch (IOException | Misfit e) {
      // not plain strict JSON, or a value that does not fit: read as Spark reads it, below
    }
    // Spark decodes the bytes to text first (invalid UTF-8 becomes replacement characters, a byte
    // order mark a character of the text), then runs Jackson over it: so does this reader.
    Reader text = new InputStreamReader(new ByteArrayInputStream(value), StandardCharsets.UTF_8);
    try (JsonParser parser = JSON.createParser(text)) {
      return document(new Tokens.Jackson(parser));
    } catch (IOException | Misfit e) {
      return null;
    }
  }

  private static Row document(Tokens p) throws IOException, Misfit {
    return p.nextToken() == JsonToken.START_OBJECT ? analysis(p) : null;
  }

  private static Row analysis(Tokens p) throws IOException, Misfit {
    String analyzerVersion = null;
    Object[] track = new Object[TRACK.size()];
    Integer bars = null, beats = null, segments = null, tatums = null;
    long[] sectionKeys = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken token = p.nextToken();
      switch (field) {
        case "meta" -> analyzerVersion = meta(p, token);
        case "track" -> track = track(p, token);
        case "bars" -> bars = intervals(p, token);
        case "beats" -> beats = intervals(p, token);
        case "segments" -> segments = intervals(p, token);
        case "tatums" -> tatums = intervals(p, token);
        case "sections" -> sectionKeys = sections(p, token);
        default -> p.skipChildren();
      }
    }
    Integer keyChanges = null;
    if (sectionKeys != null) {
      // SQL: size(filter(sections, s -> s.key != track.key)); a null on either side is no change
      Long key = (Long) track[track("key")];
      int changes = 0;
      for (long k : sectionKeys) {
        if (key != null && k != NO_KEY && k != key) {
          changes++;
        }
      }
      keyChanges = changes;
    }
    return RowFactory.create(
        analyzerVersion,
        track[track("duration")],
        track[track("tempo")],
        track[track("tempo_confidence")],
        track[track("key")],
        track[track("key_confidence")],
        track[track("mode")],
        track[track("mode_confidence")],
        track[track("time_signature")],
        track[track("loudness")],
        track[track("end_of_fade_in")],
        track[track("start_of_fade_out")],
        sectionKeys == null ? null : sectionKeys.length,
        segments,
        bars,
        beats,
        tatums,
        keyChanges);
  }

  private static String meta(Tokens p, JsonToken token) throws IOException, Misfit {
    if (!object(token)) {
      return null;
    }
    String analyzerVersion = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "analyzer_version" -> analyzerVersion = string(p, value);
        case "status_code", "timestamp" -> integer(p, value);
        default -> p.skipChildren();
      }
    }
    return analyzerVersion;
  }

  private static Object[] track(Tokens p, JsonToken token) throws IOException, Misfit {
    Object[] values = new Object[TRACK.size()];
    if (!object(token)) {
      return values;
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      int i = track(field);
      JsonToken value = p.nextToken();
      if (i < 0) {
        p.skipChildren();
      } else if (TRACK_INTEGERS.contains(field)) {
        values[i] = integer(p, value);
      } else {
        values[i] = number(p, value);
      }
    }
    return values;
  }

  /** How many elements; each an object (or null) whose {@code start} is a number. */
  private static Integer intervals(Tokens p, JsonToken token) throws IOException, Misfit {
    if (!array(token)) {
      return null;
    }
    int count = 0;
    JsonToken element;
    while ((element = p.nextToken()) != JsonToken.END_ARRAY) {
      count++;
      if (object(element)) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          boolean start = p.currentNameIs("start");
          JsonToken value = p.nextToken();
          if (start) {
            checkNumber(p, value);
          } else {
            p.skipChildren();
          }
        }
      }
    }
    return count;
  }

  private static final long NO_KEY = Long.MIN_VALUE;

  /** Each section's key ({@link #NO_KEY} when null); {@code start} a number, as for intervals. */
  private static long[] sections(Tokens p, JsonToken token) throws IOException, Misfit {
    if (!array(token)) {
      return null;
    }
    long[] keys = new long[16];
    int count = 0;
    JsonToken element;
    while ((element = p.nextToken()) != JsonToken.END_ARRAY) {
      long key = NO_KEY;
      if (object(element)) {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken value = p.nextToken();
          switch (field) {
            case "start" -> checkNumber(p, value);
            case "key" -> {
              Long k = integer(p, value);
              key = k == null ? NO_KEY : k;
            }
            default -> p.skipChildren();
          }
        }
      }
      if (count == keys.length) {
        keys = Arrays.copyOf(keys, count * 2);
      }
      keys[count++] = key;
    }
    return Arrays.copyOf(keys, count);
  }

  /**
   * True at the start of an object (or array, as {@code start} says), false at null; anything else
   * does not fit.
   */
  private static boolean opens(JsonToken token, JsonToken start) throws Misfit {
    if (token == JsonToken.VALUE_NULL) {
      return false;
    }
    if (token != start) {
      throw MISFIT;
    }
    return true;
  }

  private static boolean object(JsonToken token) throws Misfit {
    return opens(token, JsonToken.START_OBJECT);
  }

  private static boolean array(JsonToken token) throws Misfit {
    return opens(token, JsonToken.START_ARRAY);
  }

  /** As Spark reads a string field: a string's text, or any other value as its JSON text. */
  private static String string(Tokens p, JsonToken token) throws IOException {
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    return token == JsonToken.VALUE_STRING ? p.getText() : p.valueAsJson();
  }

  /** As Spark reads a long: an integer that fits, else it does not fit. */
  private static Long integer(Tokens p, JsonToken token) throws IOException, Misfit {
    if (token == JsonToken.VALUE_NULL) {
      return null;
    }
    if (token != JsonToken.VALUE_NUMBER_INT) {
      throw MISFIT;
    }
    return p.getLongValue();
  }

  /** As Spark reads a double: any number, or the strings Spark takes for NaN and the infinities. */
  private static Double number(Tokens p, JsonToken token) throws IOException, Misfit {
    return switch (token) {
      case VALUE_NULL -> null;
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_STRING -> switch (p.getText()) {
        case "NaN" -> Double.NaN;
        case "+INF", "+Infinity", "Infinity" -> Double.POSITIVE_INFINITY;
        case "-INF", "-Infinity" -> Double.NEGATIVE_INFINITY;
        default -> throw MISFIT;
      };
      default -> throw MISFIT;
    };
  }

  /** {@link #number}'s check without converting the text (an interval's start is not kept). */
  private static void checkNumber(Tokens p, JsonToken token) throws IOException, Misfit {
    if (token != JsonToken.VALUE_NUMBER_FLOAT && token != JsonToken.VALUE_NUMBER_INT) {
      number(p, token);
    }
  }
}
