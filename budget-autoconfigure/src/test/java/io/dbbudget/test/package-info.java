/**
 * Test infrastructure: the PostgreSQL server the tests use ({@link io.dbbudget.test.TestServer}),
 * per-test-class databases and roles ({@link io.dbbudget.test.TestDatabase}) and private
 * servers with their own settings ({@link io.dbbudget.test.PrivateServer}).
 */
@NullMarked
package io.dbbudget.test;

import org.jspecify.annotations.NullMarked;
