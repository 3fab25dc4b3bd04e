package io.dbbudget.autoconfigure;

import java.util.LinkedHashMap;
import java.util.Map;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.BudgetSettings;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.retry.AcquisitionListener;
import io.dbbudget.retry.RetrySettings;

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
			ObjectProvider<RetrySettings> retrySettings, ObjectProvider<AcquisitionListener> listeners) {
		return new DbBudgetBeanPostProcessor(budgetedPools, retrySettings, listeners);
	}

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	BudgetedPools budgetedPools(DbBudgetProperties properties, Environment environment,
			ListableBeanFactory beanFactory) {
		String applicationName = (properties.getApplicationName() != null) ? properties.getApplicationName()
				: environment.getProperty("spring.application.name");
		return new BudgetedPools(settings(properties),
				() -> PoolBeanNames.find(beanFactory, properties.getPools().keySet()), applicationName);
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
	BudgetPlanLogger dbBudgetPlanLogger(BudgetedPools budgetedPools, ObjectProvider<RetrySettings> retrySettings) {
		return new BudgetPlanLogger(budgetedPools, retrySettings.getIfAvailable());
	}

	private static BudgetSettings settings(DbBudgetProperties properties) {
		Map<String, Integer> weights = new LinkedHashMap<>();
		properties.getPools().forEach((name, pool) -> weights.put(name, pool.getWeight()));
		return new BudgetSettings(properties.getMaxConnections(), properties.getReservedConnections(),
				properties.getShare(), properties.getServiceConnections(), properties.getInstances(),
				properties.getMinPoolSize(), properties.getMode(), weights);
	}

}
