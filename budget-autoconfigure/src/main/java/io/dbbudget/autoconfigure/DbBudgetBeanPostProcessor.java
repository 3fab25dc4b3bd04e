package io.dbbudget.autoconfigure;

import java.time.Duration;

import com.zaxxer.hikari.HikariDataSource;
import io.dbbudget.budget.PoolPlan;
import io.dbbudget.gate.AdmissionGate;
import io.dbbudget.gate.AdmissionGates;
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
 * before its pool starts, and wraps it in a {@link RetryingDataSource} when retry or the
 * admission gate is on.
 *
 * @author db-budget team
 */
class DbBudgetBeanPostProcessor implements BeanPostProcessor, PriorityOrdered {

	private final ObjectProvider<BudgetedPools> budgetedPools;

	private final ObjectProvider<RetrySettings> retrySettings;

	private final ObjectProvider<AdmissionGates> admissionGates;

	private final AcquisitionListener listener;

	DbBudgetBeanPostProcessor(ObjectProvider<BudgetedPools> budgetedPools,
			ObjectProvider<RetrySettings> retrySettings, ObjectProvider<AdmissionGates> admissionGates,
			ObjectProvider<AcquisitionListener> listeners) {
		this.budgetedPools = budgetedPools;
		this.retrySettings = retrySettings;
		this.admissionGates = admissionGates;
		this.listener = new DeferredAcquisitionListener(listeners);
	}

	@Override
	public Object postProcessAfterInitialization(Object bean, String beanName) {
		if (bean instanceof HikariDataSource dataSource) {
			PoolPlan plan = this.budgetedPools.getObject().register(beanName, dataSource);
			if (plan == null) {
				return bean;
			}
			RetrySettings retry = this.retrySettings.getIfAvailable();
			AdmissionGates gates = this.admissionGates.getIfAvailable();
			AdmissionGate gate = null;
			if (gates != null) {
				gate = new AdmissionGate(dataSource);
				gates.register(beanName, gate);
			}
			if (retry != null || gate != null) {
				return new RetryingDataSource(dataSource, beanName, retry,
						Duration.ofMillis(dataSource.getConnectionTimeout()), this.listener, gate);
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
