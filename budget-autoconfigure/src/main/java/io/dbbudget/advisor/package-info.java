/**
 * The server advisor: which server settings and pool settings, taken together, put the
 * connection budget at risk, and how to fix them. Knows nothing of Spring or JDBC.
 */
@NullMarked
package io.dbbudget.advisor;

import org.jspecify.annotations.NullMarked;
