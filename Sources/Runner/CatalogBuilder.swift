import Data
import Experiments
import NN
import Regularizers

/// The registries of datasets, models and regularizers, as the data spec validation needs.
public enum CatalogBuilder {
  public static let catalog: Catalog = Catalog(
    datasets: Dictionary(
      uniqueKeysWithValues: DatasetRegistry.names.compactMap { name in
        DatasetRegistry.info(name).map { info in
          (
            name,
            Experiments.DatasetInfo(
              imageShape: info.imageShape, classes: info.classes, task: info.task.rawValue,
              trainMax: info.fullTrainSize, testMax: info.fullTestSize)
          )
        }
      }),
    models: Dictionary(uniqueKeysWithValues: ModelZoo.names.map { ($0, modelInfo($0)) }),
    regularizers: Dictionary(uniqueKeysWithValues: RegularizerRegistry.all.map { ($0.name, regularizerInfo($0)) }))

  static func modelInfo(_ name: String) -> ModelInfo {
    var parameters: [ParameterSpec] = []
    if let widths = ModelZoo.defaultWidths[name] {
      parameters.append(
        ParameterSpec(
          name: "widths", kind: .intList, defaultValue: .list(widths.map(ConfigValue.int)),
          doc: "layer widths (mlp hidden layers, resnet stages, unet levels)"))
    }
    if name == "resnet" {
      parameters.append(
        ParameterSpec(
          name: "blocks", kind: .int(min: 1, max: 18), defaultValue: .int(1), doc: "BasicBlocks per stage (depth 6n+2)")
      )
    }
    let defaultSites: [String] =
      switch name {
      case "mlp": ["hidden1", "hidden2"]
      case "cnn": ["fc1"]
      case "resnet": ["stage2", "stage3"]
      default: ["bottleneck"]
      }
    return ModelInfo(
      parameters: parameters, task: name == "unet-tiny" ? "segmentation" : "classification",
      defaultSites: defaultSites,
      siteShapes: { shape, params in
        var widths: [Int]? = nil
        if case .list(let items)? = params["widths"] { widths = items.compactMap(\.intValue) }
        var blocks: Int? = nil
        if case .int(let b)? = params["blocks"] { blocks = b }
        return Dictionary(
          uniqueKeysWithValues: ModelZoo.sites(name, inputShape: shape, widths: widths, blocks: blocks).map {
            ($0.0, $0.1)
          })
      })
  }

  static func regularizerInfo(_ d: RegularizerDescriptor) -> RegularizerInfo {
    RegularizerInfo(
      parameters: d.parameters.map(parameterSpec), taxonomy: d.taxonomy.rawValue, summary: d.summary,
      validate: { params, shape in
        do {
          return d.validate(try parameterValues(params, descriptor: d), shape)
        } catch {
          return "\(error)"
        }
      })
  }

  static func parameterSpec(_ p: ParameterDescription) -> ParameterSpec {
    let kind: ParameterSpec.Kind =
      switch p.kind {
      case .double(let lo, let hi, let loIn, let hiIn):
        .double(min: lo, max: hi, minInclusive: loIn, maxInclusive: hiIn)
      case .int(let lo, let hi): .int(min: lo, max: hi)
      case .choice(let choices): .choice(choices)
      case .bool: .bool
      }
    return ParameterSpec(name: p.name, kind: kind, defaultValue: configValue(p.defaultValue), doc: p.doc)
  }

  static func configValue(_ v: ParameterValue) -> ConfigValue {
    switch v {
    case .double(let d): .double(d)
    case .int(let i): .int(i)
    case .string(let s): .string(s)
    case .bool(let b): .bool(b)
    }
  }

  /// Spec parameters (ConfigValue) as the regularizer's typed values, checked and with defaults filled in by the
  /// registry's own `resolve`.
  static func parameterValues(_ params: [String: ConfigValue], descriptor d: RegularizerDescriptor) throws
    -> [String: ParameterValue]
  {
    var values: [String: ParameterValue] = [:]
    for (name, given) in params {
      switch given {
      case .double(let v): values[name] = .double(v)
      case .int(let v): values[name] = .int(v)
      case .string(let v): values[name] = .string(v)
      case .bool(let v): values[name] = .bool(v)
      default: throw RunnerError.badParameter(name, "expected a number, string or boolean, got \(given)")
      }
    }
    switch d.resolve(values) {
    case .success(let resolved): return resolved
    case .failure(let message): throw RunnerError.badParameter(d.name, message.description)
    }
  }
}
