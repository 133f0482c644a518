import Foundation

/// Points sharing the values of a check's `by` keys.
struct PointGroup {
  /// e.g. `dataset.name=mnist-5k`; "" when there are no `by` keys.
  var label: String
  var points: [GridPoint]
}

/// Splits points by the values of `keys`, groups in order of first appearance in the grid.
func groups(of points: [GridPoint], by keys: [String]) -> [PointGroup] {
  guard !keys.isEmpty else { return [PointGroup(label: "", points: points)] }
  var order: [[ConfigValue]] = []
  var members: [[ConfigValue]: [GridPoint]] = [:]
  for point in points {
    let groupKey = keys.map { point.value(at: $0) ?? .null }
    if members[groupKey] == nil { order.append(groupKey) }
    members[groupKey, default: []].append(point)
  }
  return order.map { groupKey in
    let first = members[groupKey]![0]
    // An axis the `by` keys set in full reads by its name ("MNIST, 4k images"); the rest as written
    // (`dataset.name=mnist-5k`), since a zip's name names a whole position, not one of its keys.
    let named = first.parts.filter { part in part.named && part.keys.allSatisfy { keys.contains($0) } }
    let covered = Set(named.flatMap(\.keys))
    let rest = zip(keys, groupKey).filter { !covered.contains($0.0) }
    let label = (named.map(\.text) + (rest.isEmpty ? [] : [Sweep.label(Array(rest))])).joined(separator: ", ")
    return PointGroup(label: label, points: members[groupKey]!)
  }
}

/// "a vs b (shared)" for named points: each side by what tells it apart from the other — one point by its own
/// names, several (a range) as "mean of p = 0.4 … p = 0.8 (5 points)" — and the names every point of both sides
/// shares said once at the end: "HME dropout vs no dropout (6 levels)". Unnamed points read as `written` says.
func pairLabel(_ a: [GridPoint], _ b: [GridPoint], written: (a: String, b: String)) -> String {
  let all = a + b
  guard let first = all.first, !first.parts.isEmpty, all.allSatisfy({ $0.parts.map(\.keys) == first.parts.map(\.keys) })
  else { return "\(written.a) vs \(written.b)" }
  func alike(_ points: [GridPoint], _ i: Int) -> Bool { points.allSatisfy { $0.parts[i].text == points[0].parts[i].text } }
  let indices = first.parts.indices
  let shared = indices.filter { alike(all, $0) }
  func side(_ points: [GridPoint]) -> String {
    let own = indices.filter { !shared.contains($0) }
    let fixed = own.filter { alike(points, $0) }.map { points[0].parts[$0].text }
    let moving = own.filter { !alike(points, $0) }
    guard !moving.isEmpty, let head = points.first, let tail = points.last else {
      return fixed.joined(separator: ", ")
    }
    func text(_ p: GridPoint) -> String { moving.map { p.parts[$0].text }.joined(separator: ", ") }
    return (fixed + ["mean of \(text(head)) … \(text(tail)) (\(points.count) points)"]).joined(separator: ", ")
  }
  let label = "\(side(a)) vs \(side(b))"
  return shared.isEmpty ? label : "\(label) (\(shared.map { first.parts[$0].text }.joined(separator: ", ")))"
}

/// The points a check's `a` side selects and their counterparts on the `b` side, sharing every other coordinate.
/// A side may select several points (`{in: [lo, hi]}`, or a key left out): their per-seed mean is compared.
struct PointPair {
  var a: [GridPoint]
  var b: [GridPoint]
}

enum Pairing {
  case success([PointPair])
  case failure(String)
}

/// Pairs the points matching `a` with those matching `b` by their remaining coordinates: all sweep keys except
/// those named in `a` or `b` and those that move with them (a zip partner takes one value per value of the named
/// keys). Every group of remaining coordinates must have points on both sides.
func pairPoints(_ points: [GridPoint], a: [String: ConfigValue], b: [String: ConfigValue]) -> Pairing {
  var named = Set(a.keys).union(b.keys)
  let namedKeys = Array(named)
  let otherKeys = Set(points.flatMap(\.coordinates.keys)).subtracting(named)
  for key in otherKeys {
    var valueFor: [[ConfigValue]: ConfigValue] = [:]
    let linked = points.allSatisfy { p in
      let value = p.coordinates[key] ?? .null
      let combination = namedKeys.map { p.value(at: $0) ?? .null }
      if let seen = valueFor[combination] { return seen == value }
      valueFor[combination] = value
      return true
    }
    if linked { named.insert(key) }
  }
  let sideA = points.filter { $0.matches(a) }
  let sideB = points.filter { $0.matches(b) }
  if sideA.isEmpty { return .failure("no grid point matches a: \(ConfigValue.map(a))") }
  if sideB.isEmpty { return .failure("no grid point matches b: \(ConfigValue.map(b))") }
  if let both = sideA.first(where: { p in sideB.contains(p) }) {
    return .failure("point \(both.label) matches both a and b")
  }
  func rest(_ p: GridPoint) -> [String: ConfigValue] { p.coordinates.filter { !named.contains($0.key) } }
  var order: [[String: ConfigValue]] = []
  var groupsA: [[String: ConfigValue]: [GridPoint]] = [:]
  var groupsB: [[String: ConfigValue]: [GridPoint]] = [:]
  for p in sideA {
    if groupsA[rest(p)] == nil { order.append(rest(p)) }
    groupsA[rest(p), default: []].append(p)
  }
  for p in sideB { groupsB[rest(p), default: []].append(p) }
  var pairs: [PointPair] = []
  for key in order {
    guard let partners = groupsB[key] else {
      return .failure("point \(groupsA[key]![0].label) (a) has no counterpart on the b side")
    }
    pairs.append(PointPair(a: groupsA[key]!, b: partners))
  }
  if Set(groupsB.keys) != Set(groupsA.keys) {
    return .failure("some points on the b side have no counterpart on the a side")
  }
  return .success(pairs)
}

/// Orders summaries along x: numerically when every x value is a number, else in grid order.
/// Nil when two points share an x value (another sweep key varies; the check needs `by` or `where`).
func orderedAlong(_ x: String, _ summaries: [PointSummary]) -> [PointSummary]? {
  let values = summaries.map { $0.point.value(at: x) ?? .null }
  guard Set(values).count == values.count else { return nil }
  if values.allSatisfy({ $0.asDouble != nil }) {
    return summaries.sorted {
      ($0.point.value(at: x)!.asDouble!, $0.point.index) < ($1.point.value(at: x)!.asDouble!, $1.point.index)
    }
  }
  return summaries.sorted { $0.point.index < $1.point.index }
}

/// A point's position along x: its name when the spec names that axis ("Cutout 8 px"), else its value (`xText`).
func xName(_ point: GridPoint, _ x: String) -> String {
  point.name(along: x) ?? xText(point.value(at: x))
}

/// "8" for a number, "dropblock" for a regularizer map.
func xText(_ value: ConfigValue?) -> String {
  guard let value else { return "?" }
  if case .map(let m) = value, let name = m["name"] { return name.description }
  return value.description
}

/// The last component of a dotted key, e.g. "length" for `regularizer.length`.
func shortName(_ key: String) -> String {
  key.split(separator: ".").last.map(String.init) ?? key
}
