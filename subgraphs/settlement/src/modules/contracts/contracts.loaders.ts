import DataLoader from 'dataloader';
import type { ContractsService, ContractVersion } from './contracts.service';

export interface ContractsLoaders {
  contractsOfPartner: DataLoader<string, ContractVersion[]>;
}

export function createContractsLoaders(contracts: ContractsService): ContractsLoaders {
  return {
    contractsOfPartner: new DataLoader(async (partnerIds) => {
      const found = await contracts.ofPartners(partnerIds);
      return partnerIds.map((id) => found.get(id) ?? []);
    }),
  };
}
