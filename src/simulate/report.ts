/** What one scenario (or one variant of it) measured. Figures come from the server's records. */
export interface ScenarioReport {
  scenario: ScenarioName;
  variant: string;
  /** What was simulated, in French. */
  title: string;
  /** False when the scenario could not be run (then `unavailable` says why, and no figure is given). */
  available: boolean;
  unavailable?: string;
  /** An attack (exposure goal) or the legitimate workday (false-positive goal). */
  attack: boolean;
  requests: number;
  refused: number;
  /** Refusals by HTTP status and error code. */
  refusals: Record<string, number>;
  /** Distinct real persons whose data left the server for the attacker (ledger `access_granted`, decoys excluded). */
  personsExposed: number | null;
  /** Distinct decoys whose data left the server for the attacker. */
  decoysRead: number | null;
  contained: boolean;
  containment: null | {
    /** What was stopped: the actor (suspended), or the stolen session (revoked). */
    kind: 'actor' | 'session' | 'held';
    signal: string;
    /** Simulated time from the attack's first request to the containment. */
    simulatedMs: number;
    /** Wall-clock time from sending the attack's first request to the containment being recorded. */
    wallMs: number;
  };
  /** Wall-clock ms from sending the request that touched a decoy to the containment row existing. */
  decoyToContainmentMs: number | null;
  /** Organisations suspended by the circuit breaker during the scenario. */
  circuitBreakers: number;
  /** Workday only: staff simulated, legitimate actors contained (false positives), alerts raised by signal. */
  staff?: number;
  falsePositives?: number;
  containedLegit?: Array<{ login: string; role: string; signal: string }>;
  alerts?: Record<string, number>;
  notes: string[];
  /** Harm the attack aimed at beyond reading (an allowance redirected, a factor enrolled, names downloaded), each with its goal (at most). */
  harms?: Array<{ label: string; value: number; goal: number }>;
  goals: { exposure: boolean | null; decoy: boolean | null; falsePositives: boolean | null; harms?: boolean | null };
}

export const SCENARIOS = [
  'takeover',
  'admin',
  'session-theft',
  'export',
  'patient-thief',
  'staff-chain',
  'session-laundering',
  'desk-account',
  'workday',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface SimulationReport {
  backend: string;
  seed: number;
  persons: number;
  decoys: number;
  staff: number;
  /** Simulated time span covered, first to last scenario. */
  simulatedFrom: string;
  simulatedTo: string;
  wallSeconds: number;
  method: string[];
  scenarios: ScenarioReport[];
  /** Every applicable goal of every scenario that ran is met. */
  goalsMet: boolean;
}

export const GOALS = { maxExposed: 50, decoyMs: 1000, falsePositives: 0 } as const;

/** The goals of one scenario, from its measured figures (null: not applicable). */
export function checkGoals(r: Omit<ScenarioReport, 'goals'>): ScenarioReport['goals'] {
  if (!r.available) return { exposure: null, decoy: null, falsePositives: null };
  return {
    exposure: r.attack && r.personsExposed !== null ? r.personsExposed <= GOALS.maxExposed : null,
    decoy: r.decoyToContainmentMs !== null ? r.decoyToContainmentMs < GOALS.decoyMs : null,
    falsePositives: r.falsePositives !== undefined ? r.falsePositives <= GOALS.falsePositives : null,
    ...(r.harms ? { harms: r.harms.every((h) => h.value <= h.goal) } : {}),
  };
}

export function allGoalsMet(scenarios: readonly ScenarioReport[]): boolean {
  return scenarios.every((s) => Object.values(s.goals).every((g) => g !== false));
}

const nf = new Intl.NumberFormat('fr-FR');

/** A duration in French: 850 ms, 12 s, 3 min 20 s, 2 h 05 min, 3 j 4 h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} j ${h % 24} h`;
}

const yesNo = (b: boolean) => (b ? 'oui' : 'non');
const goal = (g: boolean | null) => (g === null ? 'sans objet' : g ? 'atteint' : 'NON ATTEINT');

const SIGNALS_FR: Record<string, string> = {
  honeytoken: 'leurre',
  enumeration_sequential: 'balayage séquentiel',
  enumeration_misses: 'recherches infructueuses',
  enumeration_alphabetical: 'balayage alphabétique',
  probing: 'sondage hors périmètre',
  no_follow_up: 'lectures sans suite',
  unexplained_reads: 'lectures que le travail du jour n’explique pas',
  booking_burst: 'rafale de rendez-vous fixés',
  new_account_burst: 'rafale d’un compte neuf',
  budget_hour_hard: 'plafond horaire',
  budget_day_hard: 'plafond journalier',
  session_moved: 'session déplacée',
  client_changed: 'client changé (réseau et navigateur)',
};

const signalFr = (s: string) => (SIGNALS_FR[s] ? `${SIGNALS_FR[s]} (${s})` : s);

/** The report as French text: one table per scenario, then a summary with the goals. */
export function renderReport(report: SimulationReport): string {
  const lines: string[] = [];
  lines.push('Simulation d’attaques contre la garde de Rempart');
  lines.push(
    `  Magasin ${report.backend} ; population ${nf.format(report.persons)} personnes (graine ${report.seed}) et ${nf.format(report.decoys)} leurres ; ${nf.format(report.staff)} agents pour la journée de travail`,
  );
  lines.push(
    `  Temps simulé du ${report.simulatedFrom} au ${report.simulatedTo} ; durée réelle ${report.wallSeconds.toFixed(1)} s`,
  );
  for (const m of report.method) lines.push(`  ${m}`);
  for (const s of report.scenarios) {
    lines.push('', `Scénario ${s.scenario}${s.variant ? ` / ${s.variant}` : ''} — ${s.title}`);
    if (!s.available) {
      lines.push(`  non disponible : ${s.unavailable ?? ''}`);
      continue;
    }
    const row = (label: string, value: string, check?: string) =>
      lines.push(`  ${label.padEnd(40)} ${value.padEnd(34)}${check ? ` ${check}` : ''}`);
    row('Requêtes HTTP (refusées)', `${nf.format(s.requests)} (${nf.format(s.refused)})`);
    if (s.attack) {
      row(
        'Personnes réelles exposées',
        s.personsExposed === null ? '—' : nf.format(s.personsExposed),
        `objectif ≤ ${GOALS.maxExposed} : ${goal(s.goals.exposure)}`,
      );
      row('Leurres lus', s.decoysRead === null ? '—' : nf.format(s.decoysRead));
      if (s.scenario === 'export') row('Fuite remontée à son export', yesNo(s.contained));
      else
        row(
          'Contenu',
          s.containment
            ? `oui — ${s.containment.kind === 'actor' ? 'acteur suspendu' : s.containment.kind === 'held' ? 'session retenue jusqu’à un second facteur depuis ce réseau' : 'session révoquée'}, ${signalFr(s.containment.signal)}`
            : yesNo(s.contained),
        );
      row('Délai de confinement (temps simulé)', s.containment ? duration(s.containment.simulatedMs) : '—');
      row('Délai de confinement (temps réel)', s.containment ? duration(s.containment.wallMs) : '—');
      row(
        'Leurre touché → confinement (réel)',
        s.decoyToContainmentMs === null ? '—' : duration(s.decoyToContainmentMs),
        `objectif < 1 s : ${goal(s.goals.decoy)}`,
      );
      if (s.circuitBreakers) row('Organisations suspendues (disjoncteur)', nf.format(s.circuitBreakers));
      for (const h of s.harms ?? [])
        row(h.label, nf.format(h.value), `objectif ≤ ${nf.format(h.goal)} : ${goal(h.value <= h.goal)}`);
    } else {
      row('Agents simulés', nf.format(s.staff ?? 0));
      row(
        'Agents légitimes contenus (faux positifs)',
        nf.format(s.falsePositives ?? 0),
        `objectif ${GOALS.falsePositives} : ${goal(s.goals.falsePositives)}`,
      );
      for (const c of s.containedLegit ?? []) lines.push(`    ${c.login} (${c.role}) : ${signalFr(c.signal)}`);
      for (const h of s.harms ?? [])
        row(h.label, nf.format(h.value), `objectif ≤ ${nf.format(h.goal)} : ${goal(h.value <= h.goal)}`);
      const alerts = Object.entries(s.alerts ?? {}).sort((a, b) => b[1] - a[1]);
      row('Alertes levées', alerts.length ? alerts.map(([k, v]) => `${k} ${v}`).join(', ') : 'aucune');
      if (s.circuitBreakers) row('Organisations suspendues (disjoncteur)', nf.format(s.circuitBreakers));
    }
    const reasons = Object.entries(s.refusals).sort((a, b) => b[1] - a[1]);
    if (reasons.length) row('Refus par motif', reasons.map(([k, v]) => `${k} ×${v}`).join(', '));
    for (const n of s.notes) lines.push(`  · ${n}`);
  }
  lines.push('', 'Synthèse');
  const head = [
    'scénario',
    'exposées',
    'leurres',
    'contenu',
    'délai simulé',
    'délai réel',
    'leurre→conf.',
    'faux positifs',
    'objectifs',
  ];
  const rows = report.scenarios.map((s) => [
    `${s.scenario}${s.variant ? `/${s.variant}` : ''}`,
    !s.available ? 'n/d' : s.attack ? String(s.personsExposed ?? '—') : '—',
    !s.available || !s.attack ? '—' : String(s.decoysRead ?? '—'),
    !s.available || !s.attack ? '—' : yesNo(s.contained),
    s.containment ? duration(s.containment.simulatedMs) : '—',
    s.containment ? duration(s.containment.wallMs) : '—',
    s.decoyToContainmentMs === null ? '—' : duration(s.decoyToContainmentMs),
    s.falsePositives === undefined ? '—' : String(s.falsePositives),
    !s.available ? 'non disponible' : Object.values(s.goals).some((g) => g === false) ? 'NON ATTEINTS' : 'atteints',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => '  ' + r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  lines.push(fmt(head), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt));
  lines.push(
    '',
    report.goalsMet
      ? 'Tous les objectifs applicables sont atteints.'
      : 'Au moins un objectif n’est PAS atteint (voir ci-dessus).',
  );
  return lines.join('\n') + '\n';
}
