// SPDX-License-Identifier: MIT
/* A program that never calls malloc: for the test that pgalloc reports
 * configuration mistakes when it is loaded, not at its first allocation. */
int main(void)
{
	return 0;
}
