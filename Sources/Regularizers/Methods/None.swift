import NN

/// `none`: the baseline arm. It plugs the identity in at activation sites, so a runner may insert it like any other
/// layer or skip the site altogether; both give the same network.
public enum NoRegularizer {
  public static let descriptor = RegularizerDescriptor(
    name: "none", taxonomy: .architecture, summary: "No regularizer: the identity at every site.",
    citation: "—", parameters: [], plugsInto: .activation, build: { _, _ in .layer(Identity()) })
}
