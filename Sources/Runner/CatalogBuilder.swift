import Datasets
import Foundation
import Experiments
import NN
import Regularizers

/// The catalog the spec language validates against: the engine's own model definitions and method descriptors, and
/// the datasets' static facts.
public enum CatalogBuilder {
  public static let catalog = Catalog(
    datasets: Dictionary(
      uniqueKeysWithValues: DatasetRegistry.names.compactMap { name in
        DatasetRegistry.info(name).map { (name, $0) }
      }),
    models: ModelRegistry.all, regularizers: RegularizerRegistry.all)
}
