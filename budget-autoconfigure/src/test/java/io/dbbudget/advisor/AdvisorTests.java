package io.dbbudget.advisor;

import java.time.Duration;
import java.util.List;

import io.dbbudget.budget.InvalidBudgetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link Advisor}: which settings, taken together, put the budget at risk.
 */
class AdvisorTests {

	private static final Duration AGE = Duration.ofMinutes(1);

	private final Advisor advisor = new Advisor(List.of(), AGE);

	// Hikari's defaults: fixed-size pool of 10, idle-timeout 10 min, max-lifetime 30 min,
	// keepalive-time 2 min, no leak detection
	private static PoolSettings pool(String keepalive, String maxLifetime, int minimumIdle, String idleTimeout) {
		return PoolSettings.ofHikari("dataSource", "spring.datasource.hikari", 10, minimumIdle,
				Duration.parse(idleTimeout), Duration.parse(maxLifetime), Duration.parse(keepalive), Duration.ZERO);
	}

	private static PoolSettings hikariDefaults() {
		return pool("PT2M", "PT30M", -1, "PT10M");
	}

	private static ServerSettings server(String idleInTransaction, String idleSession, String statement,
			String keepalivesIdle) {
		return new ServerSettings(Duration.parse(idleInTransaction),
				(idleSession != null) ? Duration.parse(idleSession) : null, Duration.parse(statement),
				Duration.parse(keepalivesIdle), Duration.ofSeconds(10), 6);
	}

	private static ServerSettings safeServer() {
		return server("PT5M", "PT0S", "PT30S", "PT60S");
	}

	private List<String> checks(ServerSettings server, PoolSettings pool) {
		return this.advisor.advise(server, List.of(pool), List.of()).stream().map(Advice::check).toList();
	}

	@Test
	void safeSettingsGiveNoAdvice() {
		assertThat(this.advisor.advise(safeServer(), List.of(hikariDefaults()), List.of())).isEmpty();
	}

	@ParameterizedTest(name = "idle_in_transaction {0}, idle_session {1}, statement {2}, keepalives_idle {3} -> {4}")
	@CsvSource(delimiter = '|', nullValues = "null", textBlock = """
			PT0S | PT0S  | PT30S | PT60S  | idle_in_transaction_session_timeout
			PT5M | PT5S  | PT30S | PT60S  | idle_session_timeout
			PT5M | PT0S  | PT30S | PT2H   | tcp_keepalives
			PT5M | PT0S  | PT0S  | PT60S  | statement_timeout
			PT5M | null  | PT30S | PT60S  | ''
			PT5M | PT0S  | PT30S | PT0S   | ''
			PT0S | PT5S  | PT0S  | PT2H   | idle_in_transaction_session_timeout,idle_session_timeout,tcp_keepalives,statement_timeout
			""")
	void eachRiskyServerSettingIsNamed(String idleInTransaction, String idleSession, String statement,
			String keepalivesIdle, String expected) {
		List<String> checks = checks(server(idleInTransaction, idleSession, statement, keepalivesIdle),
				hikariDefaults());
		assertThat(checks).isEqualTo(expected.isEmpty() ? List.of() : List.of(expected.split(",")));
	}

	@ParameterizedTest(name = "idle_session_timeout {0}, keepalive {1}, max-lifetime {2}, minimum-idle {3}, idle-timeout {4} -> {5}")
	@CsvSource(delimiter = '|', textBlock = """
			PT5S   | PT2M  | PT30M | -1 | PT10M | true
			PT2M   | PT2M  | PT30M | -1 | PT10M | true
			PT2M4S | PT2M  | PT30M | -1 | PT10M | true
			PT2M5S | PT2M  | PT30M | -1 | PT10M | false
			PT10M  | PT0S  | PT30M | -1 | PT10M | true
			PT10M  | PT0S  | PT30M | 0  | PT1M  | false
			PT10M  | PT0S  | PT30M | 2  | PT1M  | true
			PT40M  | PT0S  | PT30M | -1 | PT10M | false
			PT40M  | PT0S  | PT0S  | -1 | PT10M | true
			PT1M   | PT10S | PT30M | -1 | PT10M | true
			""")
	void idleSessionTimeoutIsComparedWithTheLongestAPooledConnectionSitsUntouched(String timeout, String keepalive,
			String maxLifetime, int minimumIdle, String idleTimeout, boolean advised) {
		ServerSettings server = new ServerSettings(Duration.ofMinutes(5), Duration.parse(timeout),
				Duration.ofSeconds(30), Duration.ZERO, Duration.ZERO, 0);
		List<String> checks = checks(server, pool(keepalive, maxLifetime, minimumIdle, idleTimeout));
		assertThat(checks.contains("idle_session_timeout")).isEqualTo(advised);
	}

	@Test
	void idleSessionTimeoutTooShortForHikariIsFixedOnTheServer() {
		Advice advice = this.advisor
			.advise(server("PT5M", "PT5S", "PT30S", "PT60S"), List.of(hikariDefaults()), List.of())
			.get(0);
		assertThat(advice.setting()).isEqualTo("idle_session_timeout");
		assertThat(advice.value()).startsWith("5 s for the pools' role and database")
			.contains("up to 2 min (keepalive-time)", "idle-timeout 10 min");
		assertThat(advice.fix())
			.startsWith("Raise the server's limit above the pool's 2 min (keepalive-time): "
					+ "ALTER ROLE <username> SET idle_session_timeout = '3min'.")
			.contains("Lowering spring.datasource.hikari.keepalive-time instead cannot help");
		assertThat(advice.describe()).startsWith("idle_session_timeout = 5 s for the pools' role").contains(" Fix: ");
	}

	@Test
	void idleSessionTimeoutLongEnoughForAKeepaliveIsFixedByThePool() {
		Advice advice = this.advisor
			.advise(server("PT5M", "PT1M", "PT30S", "PT60S"), List.of(hikariDefaults()), List.of())
			.get(0);
		assertThat(advice.fix()).startsWith("Set spring.datasource.hikari.keepalive-time=55s");
	}

	@Test
	void poolThatNeverTouchesIdleConnectionsIsFixedByTurningTheServersLimitOff() {
		Advice advice = this.advisor
			.advise(server("PT5M", "PT40M", "PT30S", "PT60S"), List.of(pool("PT0S", "PT0S", -1, "PT10M")), List.of())
			.stream()
			.filter((item) -> item.check().equals("idle_session_timeout"))
			.findFirst()
			.orElseThrow();
		assertThat(advice.value()).contains("untouched for up to ever (keepalive-time and max-lifetime are off)");
		assertThat(advice.fix()).startsWith("Set spring.datasource.hikari.keepalive-time=39m ")
			.endsWith("raise the server's limit: ALTER ROLE <username> SET idle_session_timeout = '0'.");
	}

	@Test
	void poolWithoutAKnownPrefixIsNamed() {
		PoolSettings pool = PoolSettings.ofHikari("reports", null, 5, -1, Duration.ofMinutes(10), Duration.ZERO,
				Duration.ZERO, Duration.ZERO);
		Advice advice = this.advisor.advise(null, List.of(pool), List.of()).get(0);
		assertThat(advice.setting()).isEqualTo("max-lifetime of pool 'reports'");
	}

	@Test
	void keepalivesOfTheOperatingSystemNameTheDetectionTime() {
		ServerSettings server = new ServerSettings(Duration.ofMinutes(5), Duration.ZERO,
				Duration.ofSeconds(30), Duration.ofHours(2), Duration.ofSeconds(75), 9);
		Advice advice = this.advisor.advise(server, List.of(hikariDefaults()), List.of()).get(0);
		assertThat(advice.value()).isEqualTo("7200 s, 75 s, 9: a vanished client is noticed after 2 h 11 min");
		assertThat(advice.fix()).contains("ALTER SYSTEM SET tcp_keepalives_idle = 60")
			.contains("options=-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6");
	}

	@Test
	void withoutTheServersSettingsOnlyThePoolsAreChecked() {
		assertThat(this.advisor.advise(null, List.of(hikariDefaults()), List.of())).isEmpty();
		assertThat(this.advisor.advise(null, List.of(pool("PT2M", "PT0S", -1, "PT10M")), List.of()))
			.extracting(Advice::check, Advice::setting)
			.containsExactly(org.assertj.core.groups.Tuple.tuple("max-lifetime", "spring.datasource.hikari.max-lifetime"));
	}

	@ParameterizedTest(name = "configured {0} -> in effect {1}")
	@CsvSource(delimiter = '|', textBlock = """
			max-lifetime PT20S           | max-lifetime PT30M
			keepalive PT20S              | keepalive PT0S
			keepalive PT40M              | keepalive PT0S
			leak PT1S                    | leak PT0S
			leak PT40M                   | leak PT0S
			leak PT30S                   | leak PT30S
			""")
	void poolSettingsAreThoseHikariApplies(String configured, String effective) {
		PoolSettings pool = PoolSettings.ofHikari("dataSource", null, 10, -1, Duration.ofMinutes(10),
				duration(configured, "max-lifetime", Duration.ofMinutes(30)),
				duration(configured, "keepalive", Duration.ofMinutes(2)), duration(configured, "leak", Duration.ZERO));
		Duration expected = Duration.parse(effective.split(" ")[1]);
		Duration actual = switch (effective.split(" ")[0]) {
			case "max-lifetime" -> pool.maxLifetime();
			case "keepalive" -> pool.keepaliveTime();
			default -> pool.leakDetectionThreshold();
		};
		assertThat(actual).isEqualTo(expected);
		assertThat(pool.minimumIdle()).isEqualTo(10);
	}

	private static Duration duration(String configured, String name, Duration otherwise) {
		String[] parts = configured.split(" ");
		return parts[0].equals(name) ? Duration.parse(parts[1]) : otherwise;
	}

	@Test
	void sessionsIdleInATransactionPastTheAgeAreNamedWithTheirAge() {
		List<IdleTransaction> sessions = List.of(new IdleTransaction(4242, Duration.ofSeconds(125), Duration.ofSeconds(130)),
				new IdleTransaction(4343, Duration.ofSeconds(30), Duration.ofSeconds(31)));
		List<Advice> advice = this.advisor.advise(safeServer(), List.of(hikariDefaults()), sessions);
		assertThat(advice).extracting(Advice::check)
			.containsExactly("leak-detection-threshold", "idle-in-transaction-sessions");
		assertThat(advice.get(1).value())
			.isEqualTo("1 of this application's sessions idle in a transaction for 1 min or more: "
					+ "pid 4242 idle 2 min 5 s (transaction open 2 min 10 s)");
	}

	@Test
	void leakDetectionOnLeavesOnlyTheSessions() {
		PoolSettings pool = PoolSettings.ofHikari("dataSource", "spring.datasource.hikari", 10, -1,
				Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofMinutes(2), Duration.ofSeconds(30));
		List<IdleTransaction> sessions = List.of(new IdleTransaction(1, Duration.ofMinutes(2), Duration.ofMinutes(2)));
		assertThat(this.advisor.advise(safeServer(), List.of(pool), sessions)).extracting(Advice::check)
			.containsExactly("idle-in-transaction-sessions");
	}

	@Test
	void youngSessionsIdleInATransactionAreNotAdvisedOn() {
		List<IdleTransaction> sessions = List.of(new IdleTransaction(1, Duration.ofSeconds(59), Duration.ofMinutes(5)));
		assertThat(this.advisor.advise(safeServer(), List.of(hikariDefaults()), sessions)).isEmpty();
	}

	@Test
	void ignoredChecksAreSilenced() {
		Advisor advisor = new Advisor(List.of("statement_timeout", " tcp_keepalives"), AGE);
		assertThat(advisor.advise(server("PT5M", "PT0S", "PT0S", "PT2H"), List.of(hikariDefaults()), List.of()))
			.isEmpty();
	}

	@Test
	void unknownCheckIsRefusedWithTheNamesThatExist() {
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new Advisor(List.of("statement-timeout"), AGE))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("db.budget.advisor.ignore");
				assertThat(ex.getReason()).isEqualTo("there is no check named 'statement-timeout'");
				assertThat(ex.getAction()).contains("statement_timeout", "idle-in-transaction-sessions");
			});
	}

	@Test
	void negativeAgeIsRefused() {
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new Advisor(List.of(), Duration.ofSeconds(-1)))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("db.budget.advisor.idle-in-transaction-age"));
	}

}
