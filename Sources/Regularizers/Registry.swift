import NN

/// The regularizers DropBench knows, by spec name. Adding a method: its file under `Methods/` (mask function,
/// descriptor with parameters and expectations), one line here, its test file and its spec. This list is not part
/// of the engine version (`EngineVersion`): adding a line changes no cached run's key.
public enum RegularizerRegistry {
  public static let all: [RegularizerDescriptor] = [
    NoRegularizer.descriptor,
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
    MaxNormConstraint.descriptor,
    CorrDrop.spatialDescriptor,
    CorrDrop.channelDescriptor,
    ChannelDropBlock.descriptor,
    FocusedDropout.descriptor,
    InputDropout.descriptor,
    LearnableChannelDropout.descriptor,
    ClusteringDropout.descriptor,
    NSDropout.descriptor,
    CutMix.descriptor,
    AttentiveCutMix.descriptor,
    GatingDropout.descriptor,
    HMEDropout.descriptor,
  ]

  public static func descriptor(_ name: String) -> RegularizerDescriptor? {
    all.first { $0.name == name }
  }

  public static var names: [String] { all.map(\.name) }

  /// The baseline arm (`none`).
  public static var none: RegularizerDescriptor { NoRegularizer.descriptor }
}
