package io.dbbudget.autoconfigure;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.PoolPlan;
import io.dbbudget.pool.BudgetedPools;
import io.dbbudget.retry.AcquisitionListener;
import io.dbbudget.retry.RetrySettings;
import io.dbbudget.retry.RetryingDataSource;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.PriorityOrdered;

/**
 * Sizes every {@link HikariDataSource} bean to its budget once its properties are bound and
 * before its pool starts, and wraps it in a {@link RetryingDataSource} when retry is on.
 *
 * @author db-budget team
 */
class DbBudgetBeanPostProcessor implements BeanPostProcessor, PriorityOrdered {

	private final ObjectProvider<BudgetedPools> budgetedPools;

	private final ObjectProvider<RetrySettings> retrySettings;

	private final AcquisitionListener listener;

	DbBudgetBeanPostProcessor(ObjectProvider<BudgetedPools> budgetedPools,
			ObjectProvider<RetrySettings> retrySettings, ObjectProvider<AcquisitionListener> listeners) {
		this.budgetedPools = budgetedPools;
		this.retrySettings = retrySettings;
		this.listener = new DeferredAcquisitionListener(listeners);
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof HikariDataSource dataSource) {
			PoolPlan plan = this.budgetedPools.getObject().register(beanName, dataSource);
			RetrySettings retry = this.retrySettings.getIfAvailable();
			if (plan != null && retry != null) {
				return new RetryingDataSource(dataSource, beanName, retry,
						Duration.ofMillis(dataSource.getConnectionTimeout()), this.listener);
			}
		}
		return bean;
	}

	@Override
	public int getOrder() {
		// Before post-processors that wrap DataSources and would hide the Hikari pool
		return Ordered.HIGHEST_PRECEDENCE + 10;
	}

}
