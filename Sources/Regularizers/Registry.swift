import NN

/// The regularizers DropBench knows, by spec name. Adding a method: its file under `Methods/` (mask function,
/// descriptor with parameters and expectations), one line here, its test file and its spec.
public enum RegularizerRegistry {
  public static let all: [RegularizerDescriptor] = [
    none,
    Dropout.descriptor,
    SpatialDropout.descriptor,
    DropBlock.descriptor,
    Cutout.descriptor,
    HeuristicDropout.descriptor,
    StochasticDepth.descriptor,
    DropPath.descriptor,
    DropConnect.descriptor,
    TargetedDropout.descriptor,
    StructuralDropout.descriptor,
  ]

  public static func descriptor(_ name: String) -> RegularizerDescriptor? {
    all.first { $0.name == name }
  }

  public static var names: [String] { all.map(\.name) }

  /// `none`: the baseline arm; it plugs nothing in anywhere.
  public static let none = RegularizerDescriptor(
    name: "none", taxonomy: .architecture, summary: "No regularizer: the identity at every site.",
    citation: "—", parameters: [], plugsInto: .activation, build: { _, _ in .layer(Identity()) })
}
