package io.dbbudget.budget;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link Budget}: the arithmetic, with the incident reports' own numbers.
 */
class BudgetTests {

	private static final List<String> ONE_POOL = List.of("dataSource");

	@Test
	void seedHundredConnectionsTwentyReservedTenProcessesGivesEightEach() {
		Budget budget = Budget.calculate(settings(null, 20, null, null, 10), ServerLimits.configured(100), ONE_POOL);
		assertThat(budget.availableConnections()).isEqualTo(80);
		assertThat(budget.serviceConnections()).isEqualTo(80);
		assertThat(budget.perInstance()).isEqualTo(8);
		assertThat(budget.poolBudgets()).containsExactly(Map.entry("dataSource", 8));
	}

	@Test
	void seedFortyConnectionsThreeServerReservedFiveReservedFourInstancesGivesEight() {
		ServerLimits server = new ServerLimits(40, 3, -1, -1, ServerLimits.Source.SERVER);
		Budget budget = Budget.calculate(settings(null, 5, null, null, 4), server, ONE_POOL);
		assertThat(budget.availableConnections()).isEqualTo(32);
		assertThat(budget.perInstance()).isEqualTo(8);
		assertThat(budget.arithmetic()).containsExactly(
				"40 max-connections (from the server) - 3 server-reserved = 37 usable, minus 5 reserved-connections = 32 available",
				"32 x share 1.0 = 32 for this service, / 4 instances = 8 per instance");
	}

	@Test
	void pgBouncerInSessionModeIsBudgetedByItsClientLimitsAndNamesThem() {
		ServerLimits pgBouncer = new ServerLimits(100, 0, 30, 22, ServerLimits.Source.PGBOUNCER);
		Budget budget = Budget.calculate(settings(null, 2, null, null, 4), pgBouncer, ONE_POOL);
		assertThat(budget.perInstance()).isEqualTo(5);
		assertThat(budget.arithmetic()).first()
			.isEqualTo("100 max-connections (PgBouncer's max_client_conn) - 0 server-reserved, database limit 30, "
					+ "user limit 22 = 22 usable, minus 2 reserved-connections = 20 available");
	}

	@Test
	void servicesSplittingTwoHundredByServiceConnectionsNeverSumPastTheLimit() {
		ServerLimits server = new ServerLimits(200, 3, -1, -1, ServerLimits.Source.SERVER);
		int reserved = 10;
		Budget api = Budget.calculate(settings(null, reserved, null, 100, 4), server, ONE_POOL);
		Budget workers = Budget.calculate(settings(null, reserved, null, 60, 6), server, ONE_POOL);
		Budget dashboard = Budget.calculate(settings(null, reserved, null, 20, 3), server, ONE_POOL);
		Budget reports = Budget.calculate(settings(null, reserved, null, 7, 2), server, ONE_POOL);
		assertThat(api.perInstance()).isEqualTo(25);
		assertThat(workers.perInstance()).isEqualTo(10);
		assertThat(dashboard.perInstance()).isEqualTo(6);
		assertThat(reports.perInstance()).isEqualTo(3);
		int fleet = List.of(api, workers, dashboard, reports)
			.stream()
			.mapToInt((budget) -> budget.perInstance() * budget.instances())
			.sum();
		assertThat(fleet).isEqualTo(100 + 60 + 18 + 6).isLessThanOrEqualTo(200 - 3 - reserved);
	}

	@Test
	void shareIsAppliedWithoutFloatingPointLoss() {
		Budget budget = Budget.calculate(settings(null, 0, 0.29, null, 1), ServerLimits.configured(100), ONE_POOL);
		assertThat(budget.serviceConnections()).isEqualTo(29);
	}

	@Test
	void perInstanceIsFloored() {
		Budget budget = Budget.calculate(settings(null, 0, null, null, 3), ServerLimits.configured(100), ONE_POOL);
		assertThat(budget.perInstance()).isEqualTo(33);
		assertThat(budget.perInstance() * budget.instances()).isLessThanOrEqualTo(100);
	}

	@Test
	void databaseAndRoleLimitsCapTheUsableConnections() {
		ServerLimits roleLimited = new ServerLimits(100, 3, 50, 12, ServerLimits.Source.SERVER);
		assertThat(roleLimited.usableConnections()).isEqualTo(12);
		ServerLimits databaseLimited = new ServerLimits(100, 3, 20, -1, ServerLimits.Source.SERVER);
		assertThat(databaseLimited.usableConnections()).isEqualTo(20);
		ServerLimits serverLimited = new ServerLimits(100, 3, 200, 150, ServerLimits.Source.SERVER);
		assertThat(serverLimited.usableConnections()).isEqualTo(97);
		Budget budget = Budget.calculate(settings(null, 2, null, null, 2), roleLimited, ONE_POOL);
		assertThat(budget.perInstance()).isEqualTo(5);
	}

	@Test
	void poolsSplitTheInstanceShareByWeight() {
		BudgetSettings settings = new BudgetSettings(null, 0, null, null, 1, 1, BudgetMode.ENFORCE,
				Map.of("primary", 3, "reporting", 1));
		Budget budget = Budget.calculate(settings, ServerLimits.configured(10), List.of("primary", "reporting"));
		assertThat(budget.poolBudgets()).containsExactly(Map.entry("primary", 7), Map.entry("reporting", 2));
	}

	@Test
	void lightPoolStillGetsTheMinimumPoolSize() {
		BudgetSettings settings = new BudgetSettings(null, 0, null, null, 1, 2, BudgetMode.ENFORCE,
				Map.of("primary", 20, "audit", 1));
		Budget budget = Budget.calculate(settings, ServerLimits.configured(12), List.of("primary", "audit"));
		assertThat(budget.poolBudgets()).containsExactly(Map.entry("primary", 10), Map.entry("audit", 2));
	}

	@Test
	void shareBelowTheMinimumPoolSizeIsRefused() {
		BudgetSettings settings = new BudgetSettings(null, 0, null, null, 4, 2, BudgetMode.ENFORCE, Map.of());
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> Budget.calculate(settings, ServerLimits.configured(12), List.of("a", "b")))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("db.budget.min-pool-size");
				assertThat(ex.getValue()).isEqualTo("2");
				assertThat(ex.getReason()).contains("share is 3 connections (12 for the service / 4 instances)")
					.contains("each of its 2 pools at least 2");
				assertThat(ex.getAction()).contains("db.budget.instances");
			});
	}

	@Test
	void reservedAtOrAboveTheLimitIsRefused() {
		ServerLimits server = new ServerLimits(40, 3, -1, -1, ServerLimits.Source.SERVER);
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> Budget.calculate(settings(null, 37, null, null, 1), server, ONE_POOL))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("db.budget.reserved-connections");
				assertThat(ex.getReason()).contains("37 usable").contains("leaves 0");
				assertThat(ex.getAction()).contains("below 37");
			});
	}

	@Test
	void serviceConnectionsAboveTheAvailableConnectionsAreRefused() {
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> Budget.calculate(settings(null, 10, null, 95, 1), ServerLimits.configured(100), ONE_POOL))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("db.budget.service-connections");
				assertThat(ex.getReason()).contains("only 90 connections are available");
			});
	}

	@Test
	void fleetCoordinationKeepsRoomForAJoiningInstance() {
		BudgetSettings settings = new BudgetSettings(null, 0, null, null, 3, 1, BudgetMode.ENFORCE, Map.of(), 1, 1);
		ServerLimits server = new ServerLimits(40, 3, -1, -1, ServerLimits.Source.SERVER);
		Budget budget = Budget.calculate(settings, server, ONE_POOL);
		// A joiner opens the limits connection, its coordination connection and a pool of 1
		assertThat(budget.joinerHeadroom()).isEqualTo(3);
		assertThat(budget.perInstance()).isEqualTo((37 - 3) / 3);
		assertThat(budget.poolBudgets()).containsExactly(Map.entry("dataSource", 10));
		assertThat(budget.perInstance() * 3 + budget.joinerHeadroom()).isLessThanOrEqualTo(37);
		assertThat(budget.arithmetic().get(1)).isEqualTo(
				"37 x share 1.0 = 37 for this service, minus 3 kept for joining instances, / 3 instances = 11 per instance (1 for fleet coordination)");
	}

	@Test
	void roomForSeveralJoinersCoversMinPoolSizeForEachOfTheirPools() {
		BudgetSettings settings = new BudgetSettings(null, 0, null, null, 3, 2, BudgetMode.ENFORCE, Map.of(), 1, 3);
		ServerLimits server = new ServerLimits(100, 3, -1, -1, ServerLimits.Source.SERVER);
		Budget budget = Budget.calculate(settings, server, List.of("primary", "reporting"));
		// Each of 3 joiners: the limits connection, a coordination connection, 2 pools of 2
		assertThat(budget.joinerHeadroom()).isEqualTo(3 * (1 + 1 + 2 * 2));
		assertThat(budget.perInstance()).isEqualTo((97 - 18) / 3);
		assertThat(budget.fleetPoolCapacity()).isEqualTo(97 - 18 - 3);
	}

	@Test
	void noJoinerRoomIsRefused() {
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new BudgetSettings(null, 0, null, null, 3, 1, BudgetMode.ENFORCE, Map.of(), 1, 0))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("db.budget.coordination.joiners");
				assertThat(ex.getAction()).contains("1 or more");
			});
	}

	private static BudgetSettings settings(Integer maxConnections, int reserved, Double share,
			Integer serviceConnections, int instances) {
		return new BudgetSettings(maxConnections, reserved, share, serviceConnections, instances, 1,
				BudgetMode.ENFORCE, Map.of());
	}

}
