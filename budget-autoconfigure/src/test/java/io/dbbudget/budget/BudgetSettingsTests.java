package io.dbbudget.budget;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link BudgetSettings}: values that can never work are refused, naming the
 * property.
 */
class BudgetSettingsTests {

	@ParameterizedTest(name = "{0}={1}")
	@CsvSource({ "share, 0", "share, 1.5", "share, -1", "instances, 0", "instances, -3", "min-pool-size, 0",
			"min-pool-size, -1", "reserved-connections, -1", "max-connections, 0", "service-connections, 0",
			"pools.reporting.weight, 0" })
	void invalidValueIsRefusedNamingTheProperty(String property, String value) {
		assertThatExceptionOfType(InvalidBudgetException.class).isThrownBy(() -> settingsWith(property, value))
			.satisfies((ex) -> {
				assertThat(ex.getProperty()).isEqualTo("db.budget." + property);
				assertThat(ex.getValue()).isEqualTo(value);
				assertThat(ex.getAction()).isNotBlank();
			});
	}

	@Test
	void shareAndServiceConnectionsTogetherAreRefused() {
		assertThatExceptionOfType(InvalidBudgetException.class)
			.isThrownBy(() -> new BudgetSettings(null, 0, 0.5, 10, 1, 1, BudgetMode.ENFORCE, Map.of()))
			.withMessageContaining("db.budget.service-connections")
			.withMessageContaining("db.budget.share (0.5) is set too");
	}

	private static BudgetSettings settingsWith(String property, String value) {
		Integer maxConnections = property.equals("max-connections") ? Integer.valueOf(value) : null;
		int reserved = property.equals("reserved-connections") ? Integer.parseInt(value) : 0;
		Double share = property.equals("share") ? Double.valueOf(value) : null;
		Integer service = property.equals("service-connections") ? Integer.valueOf(value) : null;
		int instances = property.equals("instances") ? Integer.parseInt(value) : 1;
		int minPoolSize = property.equals("min-pool-size") ? Integer.parseInt(value) : 1;
		Map<String, Integer> weights = property.startsWith("pools.") ? Map.of("reporting", Integer.valueOf(value))
				: Map.of();
		return new BudgetSettings(maxConnections, reserved, share, service, instances, minPoolSize,
				BudgetMode.ENFORCE, weights);
	}

}
