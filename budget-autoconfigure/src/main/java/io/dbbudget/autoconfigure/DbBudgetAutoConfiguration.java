package io.dbbudget.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.budget.InvalidBudgetException;
import io.dbbudget.budget.ServerOverrides;
import io.dbbudget.fleet.FleetSettings;
import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.gate.AdmissionGates;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.pool.PoolAdvisor;
import io.dbbudget.retry.AcquisitionListener;
import io.dbbudget.retry.RetrySettings;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration that sizes every Hikari pool to this
 * instance's share of the server's connections.
 *
 * @author db-budget team
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass(HikariDataSource.class)
@ConditionalOnBooleanProperty(name = "db.budget.enabled", matchIfMissing = true)
@EnableConfigurationProperties(DbBudgetProperties.class)
public final class DbBudgetAutoConfiguration {

	@Bean
	static DbBudgetBeanPostProcessor dbBudgetBeanPostProcessor(ObjectProvider<BudgetedPools> budgetedPools,
			ObjectProvider<RetrySettings> retrySettings, ObjectProvider<AdmissionGates> admissionGates,
			ObjectProvider<AcquisitionListener> listeners) {
		return new DbBudgetBeanPostProcessor(budgetedPools, retrySettings, admissionGates, listeners);
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	BudgetedPools budgetedPools(DbBudgetProperties properties, Environment environment,
			ListableBeanFactory beanFactory, ObjectProvider<AdmissionGates> admissionGates) {
		String applicationName = (properties.getApplicationName() != null) ? properties.getApplicationName()
				: environment.getProperty("spring.application.name");
		FleetSettings fleet = fleetSettings(properties.getCoordination(), applicationName);
		return new BudgetedPools(settings(properties, fleet != null), serverOverrides(properties),
				() -> PoolBeanNames.find(beanFactory, properties.getPools().keySet(), properties.getServers().keySet()),
				applicationName, fleet, (pool) -> waitingAtGate(admissionGates.getIfAvailable(), pool));
	}

	private static int waitingAtGate(@Nullable AdmissionGates gates, String pool) {
		AdmissionGate gate = (gates != null) ? gates.get(pool) : null;
		return (gate != null) ? gate.getWaiting() : 0;
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty(name = "db.budget.retry.enabled", matchIfMissing = true)
	RetrySettings dbBudgetRetrySettings(DbBudgetProperties properties) {
		DbBudgetProperties.Retry retry = properties.getRetry();
		return new RetrySettings(retry.getMaxAttempts(), retry.getInitialInterval(), retry.getMultiplier(),
				retry.getMaxInterval(), retry.isJitter());
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty(name = "db.budget.admission.enabled", matchIfMissing = true)
	AdmissionGates dbBudgetAdmissionGates() {
		return new AdmissionGates();
	}

	@Bean
	BudgetPlanLogger dbBudgetPlanLogger(BudgetedPools budgetedPools, ObjectProvider<RetrySettings> retrySettings,
			ObjectProvider<PoolAdvisor> advisor, ObjectProvider<AdmissionGates> admissionGates) {
		return new BudgetPlanLogger(budgetedPools, retrySettings.getIfAvailable(), advisor,
				admissionGates.getIfAvailable() != null);
	}

	private static @Nullable FleetSettings fleetSettings(DbBudgetProperties.Coordination coordination,
			@Nullable String applicationName) {
		Duration heartbeat = coordination.getHeartbeat();
		if (heartbeat.isNegative() || heartbeat.isZero()) {
			throw new InvalidBudgetException("db.budget.coordination.heartbeat", heartbeat.toString(),
					"the heartbeat must be a positive duration", "Set db.budget.coordination.heartbeat to, for example, 5s.");
		}
		if (!coordination.isEnabled()) {
			return null;
		}
		String group = (coordination.getGroup() != null) ? coordination.getGroup() : applicationName;
		if (group == null || group.isBlank()) {
			throw new InvalidBudgetException("db.budget.coordination.group", String.valueOf(group),
					"fleet coordination needs a group name, and neither it nor spring.application.name is set",
					"Set spring.application.name, or db.budget.coordination.group to a name the service's instances "
							+ "share.");
		}
		return new FleetSettings(group, heartbeat, coordination.isDemandAware());
	}

	private static List<ServerOverrides> serverOverrides(DbBudgetProperties properties) {
		return properties.getServers()
			.entrySet()
			.stream()
			.map((entry) -> new ServerOverrides(entry.getKey(), entry.getValue().getMaxConnections(),
					entry.getValue().getReservedConnections(), entry.getValue().getShare(),
					entry.getValue().getServiceConnections()))
			.toList();
	}

	private static BudgetSettings settings(DbBudgetProperties properties, boolean coordinated) {
		Map<String, Integer> weights = new LinkedHashMap<>();
		properties.getPools().forEach((name, pool) -> weights.put(name, pool.getWeight()));
		return new BudgetSettings(properties.getMaxConnections(), properties.getReservedConnections(),
				properties.getShare(), properties.getServiceConnections(), properties.getInstances(),
				properties.getMinPoolSize(), properties.getMode(), weights, coordinated ? 1 : 0,
				properties.getCoordination().getJoiners());
	}

}
