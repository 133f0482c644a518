import Datasets
import Foundation
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
    models: Dictionary(uniqueKeysWithValues: ModelRegistry.all.map { ($0.name, modelInfo($0)) }),
    regularizers: Dictionary(uniqueKeysWithValues: RegularizerRegistry.all.map { ($0.name, regularizerInfo($0)) }))

  static func modelInfo(_ model: any ModelDefinition) -> ModelInfo {
    var parameters: [ParameterSpec] = []
    if let widths = model.defaultWidths {
      parameters.append(
        ParameterSpec(
          name: "widths", kind: .intList, defaultValue: .list(widths.map(ConfigValue.int)),
          doc: model.widthsDoc))
    }
    if model.takesBlocks {
      parameters.append(
        ParameterSpec(
          name: "blocks", kind: .int(min: 1, max: 18), defaultValue: .int(model.defaultBlocks), doc: model.blocksDoc)
      )
    }
    let name = model.name
    let engineSites: @Sendable ([Int], [String: ConfigValue]) -> [Site] = { shape, params in
      var widths: [Int]? = nil
      if case .list(let items)? = params["widths"] { widths = items.compactMap(\.intValue) }
      var blocks: Int? = nil
      if case .int(let b)? = params["blocks"] { blocks = b }
      return SiteTable.sites(name, inputShape: shape, widths: widths, blocks: blocks)
    }
    return ModelInfo(
      parameters: parameters, task: model.task.rawValue, tasks: model.tasks.map(\.rawValue),
      defaultSites: model.defaultSites,
      // The memory estimate counts the stage-level activation sites and scales by the blocks itself, so the sites
      // inside residual blocks (those with a block depth) are left out here.
      siteShapes: { shape, params in
        Dictionary(
          engineSites(shape, params).filter { $0.kind == .activation && $0.depth == 0 }.map { ($0.name, $0.shape) }
        ) { a, _ in a }
      },
      sites: { shape, params in
        engineSites(shape, params).map {
          SiteInfo(name: $0.name, kind: $0.kind.rawValue, shape: $0.shape, weightSite: $0.weightSite)
        }
      })
  }

  static func regularizerInfo(_ d: RegularizerDescriptor) -> RegularizerInfo {
    var info = RegularizerInfo(
      parameters: d.parameters.map(parameterSpec), taxonomy: d.taxonomy.rawValue, summary: d.summary,
      defaultSites: d.defaultSites, siteKind: d.plugPoint.siteKind.rawValue, needsValidation: d.needsValidation,
      validate: { params, site in
        do {
          return d.validate(try parameterValues(params, descriptor: d), engineSite(site))
        } catch {
          return "\(error)"
        }
      })
    info.actsOn = d.plugPoint.actsOn
    info.stochastic = d.traits.stochastic
    info.dependsOn = d.traits.dependsOn.rawValue
    info.phase = d.traits.phase.rawValue
    return info
  }

  /// The engine's site for a spec-layer site (the stream is irrelevant to validation).
  static func engineSite(_ s: SiteInfo) -> Site {
    Site(name: s.name, kind: SiteKind(rawValue: s.kind) ?? .activation, shape: s.shape, stream: 0, weightSite: s.weightSite)
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
    return ParameterSpec(
      name: p.name, kind: kind, defaultValue: configValue(p.defaultValue), doc: p.doc,
      omittedAtDefault: p.omittedAtDefault)
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

/// Sites of a model for given parameters, built once per distinct request and remembered: validation asks for them
/// for every planned run.
enum SiteTable {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var memo: [String: [Site]] = [:]

  static func sites(_ name: String, inputShape: [Int], widths: [Int]?, blocks: Int?) -> [Site] {
    let key = "\(name)|\(inputShape)|\(widths ?? [])|\(blocks ?? 0)"
    lock.lock()
    defer { lock.unlock() }
    if let known = memo[key] { return known }
    let sites = ModelRegistry.sites(name, inputShape: inputShape, widths: widths, blocks: blocks)
    memo[key] = sites
    return sites
  }
}
