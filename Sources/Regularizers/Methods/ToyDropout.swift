import NN
import Tensor

/// Throwaway: Dropout's mask under another name, to count the files a new method touches.
public enum ToyDropout {
  public static let descriptor = RegularizerDescriptor(
    name: "toy-dropout", taxonomy: .architecture,
    summary: "Dropout's Bernoulli mask with inverted scaling, under another name.",
    citation: "Srivastava et al., JMLR 2014",
    parameters: [
      ParameterDescription(
        name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
        defaultValue: .double(0.2), doc: "drop probability; 0 is the identity.")
    ],
    plugsInto: .vector,
    identity: ["rate": .double(0)], uses: [Dropout.descriptor],
    expectations: { params, _ in
      let rate = params.double("rate")
      return [.dropFraction(rate), .keptValue(1 / (1 - rate)), .evaluationIdentity]
    },
    build: { params, site in .layer(Dropout(rate: params.double("rate"), stream: site.stream)) })
}
