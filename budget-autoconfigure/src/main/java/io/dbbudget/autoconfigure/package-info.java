/**
 * Auto-configuration for db-budget: properties, the pool post-processor and failure analysis.
 */
@NullMarked
package io.dbbudget.autoconfigure;

import org.jspecify.annotations.NullMarked;
