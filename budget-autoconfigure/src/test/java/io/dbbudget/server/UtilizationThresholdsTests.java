package io.dbbudget.server;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.dbbudget.budget.InvalidBudgetException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link UtilizationThresholds}.
 */
class UtilizationThresholdsTests {

	private final UtilizationThresholds thresholds = new UtilizationThresholds(0.70, 0.85);

	@Test
	void levelFollowsTheThresholds() {
		assertThat(this.thresholds.level(activity(69))).isEqualTo(UtilizationLevel.OK);
		assertThat(this.thresholds.level(activity(70))).isEqualTo(UtilizationLevel.WARNING);
		assertThat(this.thresholds.level(activity(84))).isEqualTo(UtilizationLevel.WARNING);
		assertThat(this.thresholds.level(activity(85))).isEqualTo(UtilizationLevel.CRITICAL);
		assertThat(this.thresholds.level(activity(100))).isEqualTo(UtilizationLevel.CRITICAL);
	}

	@Test
	void levelIsUnknownWithoutActivity() {
		assertThat(this.thresholds.level(null)).isEqualTo(UtilizationLevel.UNKNOWN);
	}

	@Test
	void equalThresholdsSkipWarning() {
		assertThat(new UtilizationThresholds(0.9, 0.9).level(activity(90))).isEqualTo(UtilizationLevel.CRITICAL);
	}

	@Test
	void warnAboveCriticalIsRefusedNamingTheProperty() {
		assertThatExceptionOfType(InvalidBudgetException.class).isThrownBy(() -> new UtilizationThresholds(0.9, 0.8))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("db.budget.health.warn-utilization");
				assertThat(ex.getValue()).isEqualTo("0.9");
				assertThat(ex.getReason()).contains("critical-utilization (0.8)");
				assertThat(ex.getAction()).contains("0.8 or less");
			});
	}

	@Test
	void utilizationOutsideZeroToOneIsRefused() {
		assertThatExceptionOfType(InvalidBudgetException.class).isThrownBy(() -> new UtilizationThresholds(0.7, 1.5))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("db.budget.health.critical-utilization"));
		assertThatExceptionOfType(InvalidBudgetException.class).isThrownBy(() -> new UtilizationThresholds(0, 0.85))
			.satisfies((ex) -> assertThat(ex.getProperty()).isEqualTo("db.budget.health.warn-utilization"));
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new UtilizationThresholds(Double.NaN, 0.85));
	}

	private static ServerActivity activity(int connections) {
		return new ServerActivity(100, connections, Map.of(), Map.of(), Instant.now(), List.of());
	}

}
