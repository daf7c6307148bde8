package dev.carousel.ml;

import dev.carousel.data.LossKind;
import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What a fitted model knows of its data beyond the run config: T, I, O, the loss, and whether the label was an array
 * (so the prediction is one too). Stored beside the checkpoint as {@code model.json}.
 *
 * @param sequenceLength T of the training sequences
 * @param inputSize      I, values per step
 * @param outputSize     O: target values, or classes
 * @param loss           MSE (regression) or cross-entropy (classification), at the last step
 * @param arrayTarget    regression on an array label: the prediction is array<double> [O]; else a double
 */
public record ModelShape(int sequenceLength, int inputSize, int outputSize, LossKind loss, boolean arrayTarget)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The probes a transform with a probes column reports, each an array [T] per sequence. */
    static final List<String> PROBES = List.of("dh", "dc", "forget", "path_gain");

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sequence_length", sequenceLength);
        m.put("input_size", inputSize);
        m.put("output_size", outputSize);
        m.put("loss", loss.name().toLowerCase(java.util.Locale.ROOT));
        m.put("array_target", arrayTarget);
        return m;
    }

    static ModelShape fromJson(Map<String, Object> m) {
        return new ModelShape(((Number) m.get("sequence_length")).intValue(), ((Number) m.get("input_size")).intValue(),
                ((Number) m.get("output_size")).intValue(),
                LossKind.valueOf(((String) m.get("loss")).toUpperCase(java.util.Locale.ROOT)),
                (Boolean) m.get("array_target"));
    }

    /**
     * The schema after transform: {@code schema} plus the prediction column and, when asked for, the probes column.
     * Checks the columns a fit ({@code shape} null) or a transform needs.
     *
     * @throws IllegalArgumentException one line naming the column and what it should be
     */
    static StructType outputSchema(StructType schema, CarouselParams params, ModelShape shape) {
        List<String> names = Arrays.asList(schema.fieldNames());
        String features = params.getFeaturesCol();
        if (!names.contains(features)) {
            throw new IllegalArgumentException("features column '" + features + "' not found (columns: "
                    + String.join(", ", names) + "); expected array<array<float>> shaped [T][I], or setFeaturesCol");
        }
        DataType ft = schema.apply(features).dataType();
        if (!(ft instanceof ArrayType a && a.elementType() instanceof ArrayType b && isReal(b.elementType()))) {
            throw new IllegalArgumentException("features column '" + features + "' has type " + ft.simpleString()
                    + "; expected array<array<float>> or array<array<double>> shaped [T][I]");
        }
        String label = params.getLabelCol();
        if (names.contains(label)) {
            DataType lt = schema.apply(label).dataType();
            if (!(lt instanceof ArrayType la && isReal(la.elementType()) || isReal(lt) || isInteger(lt))) {
                throw new IllegalArgumentException("label column '" + label + "' has type " + lt.simpleString()
                        + "; expected array<float|double> or float|double (regression target) or an integer type "
                        + "(class label)");
            }
        } else if (shape == null || !params.getProbesCol().isEmpty()) { // fit needs it; so do probes
            throw new IllegalArgumentException("label column '" + label + "' not found (columns: "
                    + String.join(", ", names) + "); expected a target or class label column, or setLabelCol"
                    + (shape == null ? "" : " (probes are taken against the label)"));
        }
        String prediction = params.getPredictionCol();
        if (names.contains(prediction)) {
            throw new IllegalArgumentException("prediction column '" + prediction + "' already exists; expected a new "
                    + "column name, or setPredictionCol");
        }
        // Before a fit the label's type says what the model will predict; after it, the model's shape does.
        DataType lt = shape == null ? schema.apply(label).dataType() : null;
        boolean classes = shape != null ? shape.loss() == LossKind.CROSS_ENTROPY : isInteger(lt);
        boolean arrayTarget = shape != null ? shape.arrayTarget() : lt instanceof ArrayType;
        StructType out = schema.add(prediction, arrayTarget && !classes
                ? DataTypes.createArrayType(DataTypes.DoubleType, false) : DataTypes.DoubleType, false);
        String probes = params.getProbesCol();
        if (!probes.isEmpty()) {
            if (names.contains(probes) || probes.equals(prediction)) {
                throw new IllegalArgumentException("probes column '" + probes + "' already exists; expected a new "
                        + "column name, or setProbesCol");
            }
            StructType struct = new StructType();
            for (String p : PROBES) {
                struct = struct.add(p, DataTypes.createArrayType(DataTypes.DoubleType, false), true);
            }
            out = out.add(probes, struct, false);
        }
        return out;
    }

    static boolean isReal(DataType t) {
        return t.equals(DataTypes.FloatType) || t.equals(DataTypes.DoubleType);
    }

    static boolean isInteger(DataType t) {
        return t.equals(DataTypes.IntegerType) || t.equals(DataTypes.LongType) || t.equals(DataTypes.ShortType)
                || t.equals(DataTypes.ByteType);
    }
}
