package numatp.models;

import numatp.weights.ModelTensors;
import numatp.weights.Tensor;

/**
 * The naive single-shard reference forward: llama2.c's run.c transcribed with
 * dequantise-per-element reads, free of any numatp kernel or sharding.
 */
public final class ReferenceLlama {
    private final LlamaConfig c;
    private final ModelTensors m;
    private final float[][] keyCache;
    private final float[][] valueCache;

    public ReferenceLlama(ModelTensors m) {
        this.m = m;
        this.c = LlamaConfig.of(m.hp());
        keyCache = new float[c.layers()][c.contextLength() * c.kvDim()];
        valueCache = new float[c.layers()][c.contextLength() * c.kvDim()];
    }

    private static float[] matmul(Tensor w, float[] x) {
        float[] out = new float[w.rows()];
        for (int r = 0; r < w.rows(); r++) {
            float s = 0f;
            for (int k = 0; k < w.cols(); k++) {
                s += w.get(r, k) * x[k];
            }
            out[r] = s;
        }
        return out;
    }

    private float[] rmsnorm(float[] x, Tensor w) {
        float ss = 0f;
        for (float v : x) {
            ss += v * v;
        }
        ss = 1f / (float) Math.sqrt(ss / x.length + c.normEps());
        float[] o = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            o[j] = w.get(0, j) * (ss * x[j]);
        }
        return o;
    }

    public float[] forward(int token, int pos) {
        int dim = c.dim();
        int hs = c.headSize();
        int kvDim = c.kvDim();
        float[] x = new float[dim];
        Tensor emb = m.tensor("token_embd.weight");
        for (int i = 0; i < dim; i++) {
            x[i] = emb.get(token, i);
        }
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            float[] xb = rmsnorm(x, m.tensor(p + "attn_norm.weight"));
            float[] q = matmul(m.tensor(p + "attn_q.weight"), xb);
            float[] k = matmul(m.tensor(p + "attn_k.weight"), xb);
            float[] v = matmul(m.tensor(p + "attn_v.weight"), xb);
            for (int i = 0; i < dim; i += 2) {
                int headDim = i % hs;
                float freq = 1.0f / (float) Math.pow(c.ropeTheta(), headDim / (float) hs);
                float val = pos * freq;
                float fcr = (float) Math.cos(val);
                float fci = (float) Math.sin(val);
                for (int which = 0; which < (i < kvDim ? 2 : 1); which++) {
                    float[] vec = which == 0 ? q : k;
                    float v0 = vec[i];
                    float v1 = vec[i + 1];
                    vec[i] = v0 * fcr - v1 * fci;
                    vec[i + 1] = v0 * fci + v1 * fcr;
                }
            }
            System.arraycopy(k, 0, keyCache[l], pos * kvDim, kvDim);
            System.arraycopy(v, 0, valueCache[l], pos * kvDim, kvDim);
            float[] att = new float[dim];
            for (int h = 0; h < c.heads(); h++) {
                int kvh = h / c.kvMul();
                float[] scores = new float[pos + 1];
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    float s = 0f;
                    for (int i = 0; i < hs; i++) {
                        s += q[h * hs + i] * keyCache[l][t * kvDim + kvh * hs + i];
                    }
                    scores[t] = s / (float) Math.sqrt(hs);
                    max = Math.max(max, scores[t]);
                }
                float sum = 0f;
                for (int t = 0; t <= pos; t++) {
                    scores[t] = (float) Math.exp(scores[t] - max);
                    sum += scores[t];
                }
                for (int t = 0; t <= pos; t++) {
                    float a = scores[t] / sum;
                    for (int i = 0; i < hs; i++) {
                        att[h * hs + i] += a * valueCache[l][t * kvDim + kvh * hs + i];
                    }
                }
            }
            float[] o = matmul(m.tensor(p + "attn_output.weight"), att);
            for (int i = 0; i < dim; i++) {
                x[i] += o[i];
            }
            xb = rmsnorm(x, m.tensor(p + "ffn_norm.weight"));
            float[] h1 = matmul(m.tensor(p + "ffn_gate.weight"), xb);
            float[] h3 = matmul(m.tensor(p + "ffn_up.weight"), xb);
            for (int i = 0; i < h1.length; i++) {
                float g = h1[i];
                h1[i] = g * (1f / (1f + (float) Math.exp(-g))) * h3[i];
            }
            float[] d = matmul(m.tensor(p + "ffn_down.weight"), h1);
            for (int i = 0; i < dim; i++) {
                x[i] += d[i];
            }
        }
        x = rmsnorm(x, m.tensor("output_norm.weight"));
        return matmul(m.tensor("output.weight"), x);
    }
}
