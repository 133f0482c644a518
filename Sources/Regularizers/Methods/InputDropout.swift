import NN
import Tensor

/// Input-layer dropout as the dental-segmentation paper of seed 001 uses it: `dropout` (Srivastava et al.'s
/// Bernoulli mask with inverted scaling, `Dropout`'s draws exactly) on the input images only, at the paper's rate
/// 0.3 (its result: 89.0 → 91.3 on its segmentation metric). A registry entry of its own so that a spec names the
/// method the paper names, places it at the input by default and refuses a hidden site; `dropout` with
/// `at: [input]` draws the same masks. Taxonomy: data (noise on the input, Kukačka et al.).
public enum InputDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "input-dropout", taxonomy: .data,
    summary: "Dropout on the input images only (inverted scaling), the dental-segmentation paper's rate 0.3.",
    citation: "Input-layer dropout for segmentation (seed 001), after Srivastava et al., JMLR 2014",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
        defaultValue: .double(0.3), doc: "drop probability of each input pixel (the paper's 0.3); 0 is the identity.")
    ],
    plugsInto: .input,
    identity: ["rate": .double(0)], uses: [Dropout.descriptor],
    expectations: { params, _ in
      let rate = params.double("rate")
      return [.dropFraction(rate), .keptValue(1 / (1 - rate)), .evaluationIdentity]
    },
    build: { params, site in .layer(Dropout(rate: params.double("rate"), stream: site.stream)) })
}
