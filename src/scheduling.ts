import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { invalid } from './errors';
import type { EtcdCluster } from './etcd-cluster';
import { isLabelKey, isLabelValue, validateLabels } from './labels';
import { resolvePodSelector } from './network-policy';

/**
 * How strongly a preset places the members.
 */
export enum AffinityPreset {
  /** A preference (weight 1): the scheduler tries, and places the pod anyway when it cannot. */
  SOFT = 'soft',
  /** A requirement: the pod stays pending until it can be placed so. */
  HARD = 'hard',
  /** No preset. */
  NONE = 'none',
}

/**
 * What `topologySpread` does when a member cannot be placed within `maxSkew`.
 */
export enum WhenUnsatisfiable {
  /** The member stays pending. */
  DO_NOT_SCHEDULE = 'DoNotSchedule',
  /** The member is placed anyway, preferring the domains that reduce the skew. */
  SCHEDULE_ANYWAY = 'ScheduleAnyway',
}

/**
 * How a toleration matches a taint's value.
 */
export enum TolerationOperator {
  /** The taint's key and value equal the toleration's. */
  EQUAL = 'Equal',
  /** The taint has the toleration's key (any value); without a key, any taint. */
  EXISTS = 'Exists',
}

/**
 * Node affinity preset: the members prefer (`SOFT`) or require (`HARD`) nodes whose label `key`
 * has one of `values`.
 */
export interface EtcdNodeAffinityPreset {
  /** `SOFT` or `HARD` (`NONE` renders nothing and takes no key or values). */
  readonly type: AffinityPreset;
  /**
   * Node label key, e.g. `node-role.kubernetes.io/etcd` or `topology.kubernetes.io/zone`.
   * @default - none; required with SOFT and HARD
   */
  readonly key?: string;
  /**
   * Values of the label the node must have one of.
   * @default - none; required with SOFT and HARD
   */
  readonly values?: string[];
}

/**
 * A node affinity term of a custom `affinity`: a node matches when it satisfies every query.
 */
export interface EtcdNodeAffinityTerm {
  /** Queries on the node's labels, all of which must hold (e.g. `NodeLabelQuery.in(key, values)`). */
  readonly matches: kplus.NodeLabelQuery[];
  /**
   * Weight of a preference, from 1 to 100. Without a weight the term is a requirement; a node must
   * match at least one of the required terms.
   * @default - required
   */
  readonly weight?: number;
}

/**
 * A pod affinity or anti-affinity term of a custom `affinity`.
 */
export interface EtcdPodAffinityTerm {
  /**
   * The pods to be near (affinity) or away from (anti-affinity), e.g. `Pods.select(...)` or a
   * workload. A workload of another chart needs a known namespace.
   * @default - this cluster's members
   */
  readonly pods?: kplus.IPodSelector;
  /**
   * The domain in which "near" or "away" counts.
   * @default Topology.HOSTNAME
   */
  readonly topology?: kplus.Topology;
  /**
   * Weight of a preference, from 1 to 100. Without a weight the term is a requirement.
   * @default - required
   */
  readonly weight?: number;
}

/**
 * A complete affinity of the members. It replaces the presets (`podAntiAffinity`, `podAffinity`,
 * `nodeAffinity`), which must then be left unset.
 */
export interface EtcdAffinity {
  /**
   * Node affinity terms.
   * @default - none
   */
  readonly nodeAffinity?: EtcdNodeAffinityTerm[];
  /**
   * Pod affinity terms.
   * @default - none
   */
  readonly podAffinity?: EtcdPodAffinityTerm[];
  /**
   * Pod anti-affinity terms.
   * @default - none
   */
  readonly podAntiAffinity?: EtcdPodAffinityTerm[];
}

/**
 * A topology spread constraint over this cluster's members.
 */
export interface EtcdTopologySpread {
  /**
   * The node label whose values are the domains to spread across.
   * @default Topology.ZONE
   */
  readonly topology?: kplus.Topology;
  /**
   * The largest difference in members between two domains; a whole number of at least 1.
   * @default 1
   */
  readonly maxSkew?: number;
  /**
   * What happens to a member that cannot be placed within `maxSkew`.
   * @default WhenUnsatisfiable.DO_NOT_SCHEDULE
   */
  readonly whenUnsatisfiable?: WhenUnsatisfiable;
  /**
   * The number of domains the scheduler assumes at least (only with `DO_NOT_SCHEDULE`): with fewer
   * domains with matching nodes, the global minimum counts as 0, so members keep spreading out.
   * @default - none
   */
  readonly minDomains?: number;
}

/**
 * A toleration of the members: which node taints they accept.
 */
export interface EtcdToleration {
  /**
   * Taint key. Without a key, `operator` must be `EXISTS` and the toleration matches every taint
   * (of `effect`, if given).
   * @default - every key
   */
  readonly key?: string;
  /**
   * How the value is matched.
   * @default TolerationOperator.EQUAL
   */
  readonly operator?: TolerationOperator;
  /**
   * Taint value, for `EQUAL`.
   * @default - the empty value
   */
  readonly value?: string;
  /**
   * The taint effect to tolerate.
   * @default - every effect
   */
  readonly effect?: kplus.TaintEffect;
  /**
   * How long a member stays on a node after a matching `NO_EXECUTE` taint appears (only with
   * effect `NO_EXECUTE`).
   * @default - forever
   */
  readonly evictAfter?: Duration;
}

/**
 * Where the members run.
 */
export interface EtcdSchedulingOptions {
  /**
   * Pod anti-affinity preset between the members on `kubernetes.io/hostname`: `SOFT` prefers one
   * member per node (weight 1), `HARD` requires it (a cluster then needs at least `replicas`
   * schedulable nodes).
   * @default AffinityPreset.SOFT
   */
  readonly podAntiAffinity?: AffinityPreset;
  /**
   * Pod affinity preset between the members on `kubernetes.io/hostname` (brings members onto the
   * same nodes; rarely what etcd wants).
   * @default AffinityPreset.NONE
   */
  readonly podAffinity?: AffinityPreset;
  /**
   * Node affinity preset.
   * @default - none
   */
  readonly nodeAffinity?: EtcdNodeAffinityPreset;
  /**
   * A complete custom affinity. It replaces the presets, which must then be left unset.
   * @default - from the presets
   */
  readonly affinity?: EtcdAffinity;
  /**
   * Topology spread constraints over the members, e.g. `[{ topology: Topology.ZONE }]` for at
   * most one member of difference between zones.
   * @default - none
   */
  readonly topologySpread?: EtcdTopologySpread[];
  /**
   * Node labels the members require.
   * @default - any node
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Taints the members tolerate.
   * @default - none
   */
  readonly tolerations?: EtcdToleration[];
}

const MAX_WEIGHT = 100;

/**
 * The members' placement: affinity presets (or a custom affinity), topology spread, node selector
 * and tolerations. Created by `EtcdCluster` from its `scheduling` prop; it sets the pod's
 * `affinity`, `topologySpreadConstraints`, `nodeSelector` and `tolerations`.
 */
export class EtcdScheduling extends Construct {
  /** The pod anti-affinity preset in effect (`NONE` with a custom affinity). */
  public readonly podAntiAffinity: AffinityPreset;
  /** The pod affinity preset in effect (`NONE` with a custom affinity). */
  public readonly podAffinity: AffinityPreset;
  /** The node affinity preset, if any. */
  public readonly nodeAffinity?: EtcdNodeAffinityPreset;
  /** Whether a custom affinity replaces the presets. */
  public readonly customAffinity: boolean;

  private readonly cluster: EtcdCluster;

  constructor(cluster: EtcdCluster, id: string, options: EtcdSchedulingOptions = {}) {
    super(cluster, id);
    this.cluster = cluster;

    this.customAffinity = options.affinity !== undefined;
    if (options.affinity) {
      for (const preset of ['podAntiAffinity', 'podAffinity', 'nodeAffinity'] as const) {
        if (options[preset] !== undefined) {
          invalid(cluster, `scheduling.${preset}`, 'is a preset, and `scheduling.affinity` replaces the presets; set one or the other '
            + '(add the preset\'s term to `scheduling.affinity`)');
        }
      }
    }
    this.podAntiAffinity = this.customAffinity ? AffinityPreset.NONE : options.podAntiAffinity ?? AffinityPreset.SOFT;
    this.podAffinity = this.customAffinity ? AffinityPreset.NONE : options.podAffinity ?? AffinityPreset.NONE;
    this.nodeAffinity = options.nodeAffinity;
    if (this.podAntiAffinity === AffinityPreset.HARD && this.podAffinity === AffinityPreset.HARD && cluster._facts.replicas > 1) {
      invalid(cluster, 'scheduling.podAffinity', 'HARD and `scheduling.podAntiAffinity` HARD on the same topology cannot both hold for more '
        + `than one member (replicas: ${cluster._facts.replicas}); drop one of them`);
    }

    const affinity = options.affinity ? this.renderAffinity(options.affinity) : this.renderPresets(options.nodeAffinity);
    cluster._addToMembers({
      placement: {
        affinity,
        topologySpreadConstraints: this.renderSpread(options.topologySpread ?? []),
        nodeSelector: this.renderNodeSelector(options.nodeSelector),
        tolerations: this.renderTolerations(options.tolerations ?? []),
      },
    });
  }

  /** A term that selects this cluster's members. */
  private membersTerm(topologyKey: string): k8s.PodAffinityTerm {
    return { labelSelector: { matchLabels: { ...this.cluster._facts.selector } }, topologyKey };
  }

  private renderPresets(node: EtcdNodeAffinityPreset | undefined): k8s.Affinity | undefined {
    const hostname = kplus.Topology.HOSTNAME.key;
    const podTerms = (preset: AffinityPreset, prop: string) => {
      switch (preset) {
        case AffinityPreset.SOFT:
          return { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: this.membersTerm(hostname) }] };
        case AffinityPreset.HARD:
          return { requiredDuringSchedulingIgnoredDuringExecution: [this.membersTerm(hostname)] };
        case AffinityPreset.NONE:
          return undefined;
        default:
          return invalid(this.cluster, prop, `must be AffinityPreset.SOFT, HARD or NONE (got "${preset}")`);
      }
    };
    const affinity: k8s.Affinity = {
      podAntiAffinity: podTerms(this.podAntiAffinity, 'scheduling.podAntiAffinity'),
      podAffinity: podTerms(this.podAffinity, 'scheduling.podAffinity'),
      nodeAffinity: node && this.renderNodePreset(node),
    };
    return affinity.podAntiAffinity || affinity.podAffinity || affinity.nodeAffinity ? affinity : undefined;
  }

  private renderNodePreset(node: EtcdNodeAffinityPreset): k8s.NodeAffinity | undefined {
    const prop = 'scheduling.nodeAffinity';
    if (node.type === AffinityPreset.NONE) {
      if (node.key !== undefined || node.values !== undefined) {
        invalid(this.cluster, `${prop}.key`, 'and `values` have no effect with type NONE; set type SOFT or HARD, or remove `scheduling.nodeAffinity`');
      }
      return undefined;
    }
    if (node.type !== AffinityPreset.SOFT && node.type !== AffinityPreset.HARD) {
      invalid(this.cluster, `${prop}.type`, `must be AffinityPreset.SOFT, HARD or NONE (got "${node.type}")`);
    }
    if (!node.key || !isLabelKey(node.key)) {
      invalid(this.cluster, `${prop}.key`, `must be a node label key such as "topology.kubernetes.io/zone" with type ${node.type.toUpperCase()} (got ${JSON.stringify(node.key)})`);
    }
    if (!node.values?.length) {
      invalid(this.cluster, `${prop}.values`, `must list at least one value of label "${node.key}" with type ${node.type.toUpperCase()}`);
    }
    for (const v of node.values) {
      if (!isLabelValue(v)) {
        invalid(this.cluster, `${prop}.values`, `has "${v}", which is not a label value`);
      }
    }
    const term: k8s.NodeSelectorTerm = { matchExpressions: [{ key: node.key, operator: 'In', values: [...node.values] }] };
    return node.type === AffinityPreset.SOFT
      ? { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: term }] }
      : { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } };
  }

  private weight(prop: string, weight: number | undefined): number | undefined {
    if (weight !== undefined && (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT)) {
      invalid(this.cluster, prop, `must be a whole number from 1 to ${MAX_WEIGHT} (got ${weight})`);
    }
    return weight;
  }

  private renderAffinity(custom: EtcdAffinity): k8s.Affinity | undefined {
    const nodeRequired: k8s.NodeSelectorTerm[] = [];
    const nodePreferred: k8s.PreferredSchedulingTerm[] = [];
    (custom.nodeAffinity ?? []).forEach((t, i) => {
      const prop = `scheduling.affinity.nodeAffinity[${i}]`;
      if (!t.matches?.length) {
        invalid(this.cluster, `${prop}.matches`, 'must have at least one NodeLabelQuery (an empty term matches no node)');
      }
      const term: k8s.NodeSelectorTerm = { matchExpressions: t.matches.map(q => q._toKube()) };
      for (const e of term.matchExpressions!) {
        if (!isLabelKey(e.key)) {
          invalid(this.cluster, `${prop}.matches`, `has "${e.key}", which is not a node label key`);
        }
      }
      const weight = this.weight(`${prop}.weight`, t.weight);
      if (weight === undefined) {
        nodeRequired.push(term);
      } else {
        nodePreferred.push({ weight, preference: term });
      }
    });

    const podTerms = (kind: 'podAffinity' | 'podAntiAffinity'): k8s.PodAffinity | undefined => {
      const required: k8s.PodAffinityTerm[] = [];
      const preferred: k8s.WeightedPodAffinityTerm[] = [];
      (custom[kind] ?? []).forEach((t, i) => {
        const prop = `scheduling.affinity.${kind}[${i}]`;
        const topologyKey = (t.topology ?? kplus.Topology.HOSTNAME).key;
        if (!isLabelKey(topologyKey)) {
          invalid(this.cluster, `${prop}.topology`, `must be a node label key (got "${topologyKey}")`);
        }
        const term = t.pods ? this.podTerm(`${prop}.pods`, t.pods, topologyKey) : this.membersTerm(topologyKey);
        const weight = this.weight(`${prop}.weight`, t.weight);
        if (weight === undefined) {
          required.push(term);
        } else {
          preferred.push({ weight, podAffinityTerm: term });
        }
      });
      return required.length || preferred.length ? {
        requiredDuringSchedulingIgnoredDuringExecution: required.length ? required : undefined,
        preferredDuringSchedulingIgnoredDuringExecution: preferred.length ? preferred : undefined,
      } : undefined;
    };

    const affinity: k8s.Affinity = {
      nodeAffinity: nodeRequired.length || nodePreferred.length ? {
        requiredDuringSchedulingIgnoredDuringExecution: nodeRequired.length ? { nodeSelectorTerms: nodeRequired } : undefined,
        preferredDuringSchedulingIgnoredDuringExecution: nodePreferred.length ? nodePreferred : undefined,
      } : undefined,
      podAffinity: podTerms('podAffinity'),
      podAntiAffinity: podTerms('podAntiAffinity'),
    };
    return affinity.nodeAffinity || affinity.podAffinity || affinity.podAntiAffinity ? affinity : undefined;
  }

  private podTerm(prop: string, pods: kplus.IPodSelector, topologyKey: string): k8s.PodAffinityTerm {
    const resolved = resolvePodSelector(this.cluster, prop, pods);
    if (resolved.namespaces && resolved.namespaceSelector) {
      invalid(this.cluster, prop, 'selects namespaces both by name and by labels, which an affinity term would take as either-or; select them one way');
    }
    return {
      labelSelector: resolved.podSelector,
      namespaces: resolved.namespaces,
      namespaceSelector: resolved.namespaceSelector,
      topologyKey,
    };
  }

  private renderSpread(spreads: EtcdTopologySpread[]): k8s.TopologySpreadConstraint[] | undefined {
    const seen = new Set<string>();
    const constraints = spreads.map((s, i) => {
      const prop = `scheduling.topologySpread[${i}]`;
      const topologyKey = (s.topology ?? kplus.Topology.ZONE).key;
      const maxSkew = s.maxSkew ?? 1;
      const whenUnsatisfiable = s.whenUnsatisfiable ?? WhenUnsatisfiable.DO_NOT_SCHEDULE;
      if (!isLabelKey(topologyKey)) {
        invalid(this.cluster, `${prop}.topology`, `must be a node label key (got "${topologyKey}")`);
      }
      if (!Number.isInteger(maxSkew) || maxSkew < 1 || maxSkew > 2147483647) {
        invalid(this.cluster, `${prop}.maxSkew`, `must be a whole number of at least 1, at most 2147483647 (got ${maxSkew})`);
      }
      if (whenUnsatisfiable !== WhenUnsatisfiable.DO_NOT_SCHEDULE && whenUnsatisfiable !== WhenUnsatisfiable.SCHEDULE_ANYWAY) {
        invalid(this.cluster, `${prop}.whenUnsatisfiable`, `must be WhenUnsatisfiable.DO_NOT_SCHEDULE or SCHEDULE_ANYWAY (got "${whenUnsatisfiable}")`);
      }
      if (s.minDomains !== undefined) {
        if (!Number.isInteger(s.minDomains) || s.minDomains < 1 || s.minDomains > 2147483647) {
          invalid(this.cluster, `${prop}.minDomains`, `must be a whole number of at least 1, at most 2147483647 (got ${s.minDomains})`);
        }
        if (whenUnsatisfiable !== WhenUnsatisfiable.DO_NOT_SCHEDULE) {
          invalid(this.cluster, `${prop}.minDomains`, 'only applies with `whenUnsatisfiable` DO_NOT_SCHEDULE; remove it or change `whenUnsatisfiable`');
        }
      }
      const key = `${topologyKey} ${whenUnsatisfiable}`;
      if (seen.has(key)) {
        invalid(this.cluster, prop, `repeats topology "${topologyKey}" with ${whenUnsatisfiable}; Kubernetes allows each pair once`);
      }
      seen.add(key);
      return {
        topologyKey,
        maxSkew,
        whenUnsatisfiable,
        minDomains: s.minDomains,
        labelSelector: { matchLabels: { ...this.cluster._facts.selector } },
      };
    });
    return constraints.length ? constraints : undefined;
  }

  private renderNodeSelector(selector: { [key: string]: string } | undefined): { [key: string]: string } | undefined {
    if (!selector) {
      return undefined;
    }
    validateLabels(this.cluster, 'scheduling.nodeSelector', selector);
    return Object.keys(selector).length ? { ...selector } : undefined;
  }

  private renderTolerations(tolerations: EtcdToleration[]): k8s.Toleration[] | undefined {
    const effects: string[] = Object.values(kplus.TaintEffect);
    const rendered = tolerations.map((t, i) => {
      const prop = `scheduling.tolerations[${i}]`;
      const operator = t.operator ?? TolerationOperator.EQUAL;
      if (operator !== TolerationOperator.EQUAL && operator !== TolerationOperator.EXISTS) {
        invalid(this.cluster, `${prop}.operator`, `must be TolerationOperator.EQUAL or EXISTS (got "${operator}")`);
      }
      if (t.key !== undefined && !isLabelKey(t.key)) {
        invalid(this.cluster, `${prop}.key`, `must be a taint key such as "node-role.kubernetes.io/etcd" (got "${t.key}")`);
      }
      if (t.key === undefined && operator !== TolerationOperator.EXISTS) {
        invalid(this.cluster, `${prop}.operator`, 'must be EXISTS when the toleration has no `key` (it then matches every taint); set a `key` or use EXISTS');
      }
      if (t.value !== undefined && operator === TolerationOperator.EXISTS) {
        invalid(this.cluster, `${prop}.value`, 'must be left out with operator EXISTS, which matches any value; remove it or use EQUAL');
      }
      if (t.value !== undefined && !isLabelValue(t.value)) {
        invalid(this.cluster, `${prop}.value`, `must be a label value (got "${t.value}")`);
      }
      if (t.effect !== undefined && !effects.includes(t.effect)) {
        invalid(this.cluster, `${prop}.effect`, `must be TaintEffect.NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE (got "${t.effect}")`);
      }
      let seconds: number | undefined;
      if (t.evictAfter !== undefined) {
        if (t.effect !== kplus.TaintEffect.NO_EXECUTE) {
          invalid(this.cluster, `${prop}.evictAfter`, `only applies with effect NO_EXECUTE (got ${t.effect ?? 'every effect'}); set \`effect\` to NO_EXECUTE or remove it`);
        }
        const ms = t.evictAfter.toMilliseconds({ integral: false });
        if (ms % 1000 !== 0 || ms < 0) {
          invalid(this.cluster, `${prop}.evictAfter`, `must be a whole number of seconds, at least 0 (got ${t.evictAfter.toHumanString()})`);
        }
        seconds = ms / 1000;
      }
      return { key: t.key, operator, value: t.value, effect: t.effect, tolerationSeconds: seconds };
    });
    return rendered.length ? rendered : undefined;
  }
}
