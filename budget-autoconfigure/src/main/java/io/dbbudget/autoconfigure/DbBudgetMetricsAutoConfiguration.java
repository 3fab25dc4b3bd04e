package io.dbbudget.autoconfigure;

import io.dbbudget.gate.AdmissionGates;
import io.dbbudget.metrics.AcquisitionMetrics;
import io.dbbudget.metrics.AdmissionGateMetrics;
import io.dbbudget.metrics.FleetMetrics;
import io.dbbudget.metrics.PoolBudgetMetrics;
import io.dbbudget.metrics.ServerActivityMetrics;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.server.ServerActivityMonitor;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration for db-budget's metrics. Hikari's own {@code hikaricp.connections.*}
 * metrics, bound by Spring Boot, are left as they are.
 *
 * @author db-budget team
 */
@AutoConfiguration(after = DbBudgetServerActivityAutoConfiguration.class,
		afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({ BudgetedPools.class, MeterRegistry.class })
public final class DbBudgetMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PoolBudgetMetrics dbBudgetPoolBudgetMetrics(BudgetedPools budgetedPools) {
		return new PoolBudgetMetrics(budgetedPools);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty("db.budget.coordination.enabled")
	FleetMetrics dbBudgetFleetMetrics(BudgetedPools budgetedPools) {
		return new FleetMetrics(budgetedPools);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(ServerActivityMonitor.class)
	ServerActivityMetrics dbBudgetServerActivityMetrics(ServerActivityMonitor monitor) {
		return new ServerActivityMetrics(monitor);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(AdmissionGates.class)
	AdmissionGateMetrics dbBudgetAdmissionGateMetrics(AdmissionGates gates) {
		return new AdmissionGateMetrics(gates);
	}

	@Bean
	@ConditionalOnMissingBean
	AcquisitionMetrics dbBudgetAcquisitionMetrics(MeterRegistry registry) {
		return new AcquisitionMetrics(registry);
	}

}
