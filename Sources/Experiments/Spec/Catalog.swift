@_exported import Schema

/// The registries of datasets, models and regularizers, passed in as data so that the spec layer does not
/// depend on the engine that implements them.
public struct Catalog: Sendable {
  public var datasets: [String: DatasetInfo]
  /// The engine's model definitions, by spec name.
  public var models: [String: any ModelDescription]
  /// The engine's method descriptors, by spec name.
  public var regularizers: [String: any MethodDescription]

  public init(datasets: [String: DatasetInfo], models: [any ModelDescription], regularizers: [any MethodDescription]) {
    self.datasets = datasets
    self.models = Dictionary(models.map { ($0.name, $0) }) { first, _ in first }
    self.regularizers = Dictionary(regularizers.map { ($0.name, $0) }) { first, _ in first }
  }

  /// Final metrics a run reports for a task; accuracies, errors, Dice and IoU are in percent (0–100).
  public static func metrics(forTask task: String) -> [String] { MetricRegistry.names(forTask: task) }
}
