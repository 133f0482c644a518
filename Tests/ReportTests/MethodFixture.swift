import Experiments

/// A method as the report sees it (`MethodDescription`), with only what the methods table and the taxonomy map read.
struct MethodFixture: MethodDescription {
  var name = ""
  var taxonomy: Taxonomy
  var traits = Traits()
  var summary = ""
  var parameters: [ParameterDescription] = []
  var plugPoint = PlugPoint.activation
  var defaultSites: [String]? = nil
  var needsValidation = false

  func problem(_ parameters: [String: ConfigValue], at site: Site) -> String? { nil }
}
