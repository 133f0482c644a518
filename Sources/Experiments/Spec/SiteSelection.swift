/// Where a run's regularizers act: `at` patterns expanded to the model's sites, and a weight, branch or training
/// site owned by one regularizer.
extension RunConfig {
  /// Several regularizers in one run: each method once; a weight, branch or training site taken by one of them
  /// only (activation sites compose, in the order listed).
  static func checkSharedSites(_ regularizer: RegularizerConfig, catalog: Catalog, path: String, file: String)
    throws(SpecError)
  {
    let all = [regularizer] + regularizer.with
    var owner: [String: String] = [:]
    var seen: Set<String> = []
    for (i, r) in all.enumerated() where r.name != "none" {
      let here = i == 0 ? path : "\(path).with.\(i - 1)"
      if !seen.insert(r.name).inserted {
        throw SpecError(
          file: file, keyPath: here + ".name", message: "\(r.name) is listed twice in one run",
          suggestion: "use one entry with site_params for different settings at different sites")
      }
      let kind = catalog.regularizers[r.name]?.plugPoint.siteKind ?? .activation
      guard kind != .activation else { continue }
      for site in r.at {
        if let other = owner["\(kind.rawValue):\(site)"] {
          throw SpecError(
            file: file, keyPath: here + ".at",
            message: "\(kind.rawValue) site '\(site)' is taken by both \(other) and \(r.name); a \(kind.rawValue) site "
              + "takes one regularizer",
            suggestion: "give them different sites")
        }
        owner["\(kind.rawValue):\(site)"] = r.name
      }
    }
  }

  /// `at` with every pattern (`block*`, `block*_skip`: `*` matches any run of characters) replaced by the
  /// model's sites of the method's kind that match it, in build order; every plain name must be such a site.
  static func expandPatterns(
    _ at: [String], sites: [Site], kind: SiteKind, model: String, path: String, file: String
  ) throws(SpecError) -> [String] {
    var out: [String] = []
    for entry in at {
      let matches = sites.map(\.name).filter { sitePattern(entry, matches: $0) }
      guard !matches.isEmpty else {
        throw SpecError(
          file: file, keyPath: path,
          message: entry.contains("*")
            ? "the pattern '\(entry)' matches no \(kind.rawValue) site of model '\(model)'"
            : "unknown site '\(entry)' in model '\(model)'" + (kind == .activation ? "" : " (\(kind.rawValue) sites)"),
          suggestion: sites.isEmpty
            ? "model '\(model)' has no \(kind.rawValue) sites"
            : choiceSuggestion(for: entry, choices: sites.map(\.name)))
      }
      for name in matches where !out.contains(name) { out.append(name) }
    }
    return out
  }

  /// Whether `name` matches `pattern`, where `*` stands for any (possibly empty) run of characters.
  static func sitePattern(_ pattern: String, matches name: String) -> Bool {
    let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
    guard parts.count > 1 else { return pattern == name }
    guard name.hasPrefix(parts[0]), name.hasSuffix(parts.last!),
      name.count >= parts[0].count + parts.last!.count
    else { return false }
    var rest = Substring(name.dropFirst(parts[0].count).dropLast(parts.last!.count))
    for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
      guard let range = rest.range(of: middle) else { return false }
      rest = rest[range.upperBound...]
    }
    return true
  }
}
